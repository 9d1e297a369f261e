module tlsharness/shim/go

go 1.19
