module example.com/smallest

go 1.19
