package dashboard

import "io/fs"

// Assets returns the page's embedded files, for tests.
func Assets() fs.FS { return assets }
