module example.com/hostileargs

go 1.19
