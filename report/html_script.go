package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html/template"
)

// How the page carries its scripts and its data: the scripts inline,
// allowed by their hashes in the Content-Security-Policy; the data as
// HTML-escaped JSON, read with JSON.parse.

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func scriptHash(js string) string {
	sum := sha256.Sum256([]byte(js))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// marshalScript encodes v for a <script type="application/json"> block.
// encoding/json escapes <, >, & and U+2028/U+2029 and replaces invalid
// UTF-8, so the text can neither close the script element ("</script>"),
// open a comment ("<!--") nor break a JavaScript string. report.js reads
// it with JSON.parse: it is data, never code.
func marshalScript(v any) (template.JS, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return template.JS(bytes.TrimRight(buf.Bytes(), "\n")), nil
}
