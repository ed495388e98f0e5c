// cgo-sqlite links zlib and SQLite through cgo: the image carries the loader, libc, libz and
// libsqlite3 from the builder's Debian packages, and (rootfs.package-metadata, on by default) the dpkg
// metadata that lets a scanner such as syft or trivy see them.
package main

// #cgo LDFLAGS: -lz -lsqlite3
// #include <sqlite3.h>
// #include <zlib.h>
import "C"

import "fmt"

func main() {
	fmt.Printf("cgo-sqlite: zlib %s, sqlite %s\n", C.GoString(C.zlibVersion()), C.GoString(C.sqlite3_libversion()))
}
