package report

import "flag"

// update rewrites the golden files under testdata/ and the screenshots
// under docs/.
var update = flag.Bool("update", false, "rewrite golden files and docs/ screenshots")
