// goqemu_probe: asks an emulator, through go-qemu (Debian's
// golang-github-digitalocean-go-qemu-dev), what DigitalOcean's library asks
// for a domain's devices, and prints each call's raw reply and decoded
// result as JSON lines, so that two emulators' answers can be compared.
//
// Usage: goqemu_probe QMP_SOCKET_PATH
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/digitalocean/go-qemu/qemu"
	"github.com/digitalocean/go-qemu/qmp"
)

func emit(name string, value interface{}, err error) {
	line := map[string]interface{}{"call": name, "value": value}
	if err != nil {
		line["error"] = err.Error()
	}
	out, _ := json.Marshal(line)
	fmt.Println(string(out))
}

func main() {
	mon, err := qmp.NewSocketMonitor("unix", os.Args[1], 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := mon.Connect(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer mon.Disconnect()
	dom, err := qemu.NewDomain(mon, "probe")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}

	blocks, err := dom.BlockDevices()
	emit("BlockDevices", blocks, err)
	stats, err := dom.BlockStats()
	emit("BlockStats", stats, err)
	jobs, err := dom.BlockJobs()
	emit("BlockJobs", jobs, err)
	pci, err := dom.PCIDevices()
	emit("PCIDevices", pci, err)
	status, err := dom.Status()
	emit("Status", status, err)
	version, err := dom.Version()
	emit("Version", version, err)
	for _, cmd := range []string{"query-pci", "query-block", "query-blockstats", "query-block-jobs"} {
		raw, err := dom.Run(qmp.Command{Execute: cmd})
		emit("Run "+cmd, string(raw), err)
	}
}
