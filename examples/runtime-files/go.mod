module example.com/runtime-files

go 1.19
