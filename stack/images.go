package stack

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// BuildImageHint is what to do when an etcd image is neither here nor
// pullable: build it locally, from the Go module proxy.
const BuildImageHint = "build it locally with scripts/build-image.sh VERSION (it tags etcdpm/etcd:vVERSION; then ETCD_IMAGE=etcdpm/etcd:vVERSION), or pull it where a registry is reachable"

// MissingImageError is a `compose up` that failed while images of its
// services are not in the local image store: their pull failed.
type MissingImageError struct {
	// Images maps each missing image to the services that run it.
	Images map[string][]string
	Err    error
}

func (e *MissingImageError) Error() string {
	var parts []string
	for _, img := range slices.Sorted(maps.Keys(e.Images)) {
		parts = append(parts, fmt.Sprintf("%s (%s)", img, strings.Join(e.Images[img], ", ")))
	}
	return fmt.Sprintf("image %s is not here and could not be pulled: %s; %v", strings.Join(parts, ", "), BuildImageHint, e.Err)
}

func (e *MissingImageError) Unwrap() error { return e.Err }

// explainUp turns a failed `up` of services into a *MissingImageError when
// an image they run is not here; else it returns err.
func (p *Project) explainUp(ctx context.Context, err error, services []string) error {
	out, cerr := p.run(ctx, "config")
	if cerr != nil {
		return err
	}
	missing := map[string][]string{}
	for svc, img := range serviceImages(out) {
		if len(services) > 0 && !slices.Contains(services, svc) {
			continue
		}
		if _, ierr := docker(ctx, "image", "inspect", "--format", "{{.Id}}", img); ierr != nil {
			missing[img] = append(missing[img], svc)
		}
	}
	if len(missing) == 0 {
		return err
	}
	for _, svcs := range missing {
		slices.Sort(svcs)
	}
	return &MissingImageError{Images: missing, Err: err}
}

// serviceImages reads each service's image from `compose config`'s YAML
// (v1 and v2 print it alike: services at two spaces, their keys at four).
func serviceImages(config []byte) map[string]string {
	images := map[string]string{}
	in, svc := false, ""
	sc := bufio.NewScanner(bytes.NewReader(config))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "services:":
			in = true
		case !strings.HasPrefix(line, " ") && line != "":
			in = false
		case !in:
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":"):
			svc = strings.TrimSuffix(strings.TrimSpace(line), ":")
		case strings.HasPrefix(line, "    image: ") && svc != "":
			images[svc] = strings.Trim(strings.TrimPrefix(line, "    image: "), `"'`)
		}
	}
	return images
}
