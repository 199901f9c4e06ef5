// Command etcd is etcd's own server main, from the etcd server module at the version
// Kubernetes is built and tested with.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
