module example.com/buildarg

go 1.19
