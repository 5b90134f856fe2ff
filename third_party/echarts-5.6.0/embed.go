// Package echarts embeds Apache ECharts 5.6.0 (dist/echarts.min.js of the npm
// package echarts@5.6.0, unmodified; see SOURCE.md) so reports can inline it
// and open with no network.
package echarts

import _ "embed"

// Version is the embedded ECharts release.
const Version = "5.6.0"

// MinJS is dist/echarts.min.js, unmodified.
//
//go:embed echarts.min.js
var MinJS string

// License is ECharts' LICENSE file (Apache License 2.0).
//
//go:embed LICENSE
var License string

// Notice is ECharts' NOTICE file, to carry along with MinJS.
//
//go:embed NOTICE
var Notice string
