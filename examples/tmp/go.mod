module example.com/tmp

go 1.19
