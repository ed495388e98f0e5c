module example.com/cgo-sqlite

go 1.19
