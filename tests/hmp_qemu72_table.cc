// QEMU 7.2's x86_64 HMP command tables, shared by the HMP unit tests and the
// HMP fuzz target (tests/fuzz/hmp_args_fuzz.cc).
#include "tests/hmp_qemu72_table.h"

#include <string>
#include <string_view>

#include "monitor/readline.h"

namespace migemu {
namespace {

void complete_capability(Readline& rl, int nb_args, std::string_view str) {
  static constexpr std::string_view kCaps[] = {
      "xbzrle",          "rdma-pin-all",  "auto-converge",       "zero-blocks",
      "compress",        "events",        "postcopy-ram",        "x-colo",
      "release-ram",     "block",         "return-path",         "pause-before-switchover",
      "multifd",         "dirty-bitmaps", "postcopy-blocktime",  "late-block-activate",
      "x-ignore-shared", "validate-uuid", "background-snapshot", "zero-copy-send",
      "postcopy-preempt"};
  rl.set_completion_index(static_cast<int>(str.size()));
  if (nb_args == 2) {
    for (std::string_view c : kCaps) {
      if (c.starts_with(str)) rl.add_completion(std::string(c));
    }
  } else if (nb_args == 3) {
    hmp_add_completion_option(rl, str, "on");
    hmp_add_completion_option(rl, str, "off");
  }
}

}  // namespace

namespace test_tables {
namespace {

// QEMU 7.2's x86_64 command tables (names and args_type; help texts only where
// a test needs them), sorted by name as QEMU sorts them at start-up.
const HmpCommand kInfoTable[] = {
    {"balloon", "", "", ""},
    {"block", "nodes:-n,verbose:-v,device:B?", "", ""},
    {"block-jobs", "", "", ""},
    {"blockstats", "", "", ""},
    {"capture", "", "", ""},
    {"chardev", "", "", ""},
    {"cpus", "", "", ""},
    {"dirty_rate", "", "", ""},
    {"dump", "", "", ""},
    {"history", "", "", ""},
    {"hotpluggable-cpus", "", "", ""},
    {"iothreads", "", "", ""},
    {"irq", "", "", ""},
    {"jit", "", "", ""},
    {"kvm", "", "", ""},
    {"lapic", "apic-id:i?", "", ""},
    {"mem", "", "", ""},
    {"memdev", "", "", ""},
    {"memory-devices", "", "", ""},
    {"memory_size_summary", "", "", ""},
    {"mice", "", "", ""},
    {"migrate", "", "[-d] [-b] [-i] [-r] uri",
     "migrate to URI (using -d to not wait for completion)\n\t\t\t -b for migration without "
     "shared storage with full copy of disk\n\t\t\t -i for migration without shared storage with "
     "incremental copy of disk (base image shared between src and destination)\n\t\t\t -r to "
     "resume a paused migration"},
    {"migrate_capabilities", "", "", "show current migration capabilities"},
    {"migrate_parameters", "", "", ""},
    {"mtree", "flatview:-f,dispatch_tree:-d,owner:-o,disabled:-D", "", ""},
    {"name", "", "", ""},
    {"network", "", "", ""},
    {"numa", "", "", ""},
    {"opcount", "", "", ""},
    {"pci", "", "", ""},
    {"pic", "", "", ""},
    {"profile", "", "", ""},
    {"qdm", "", "", ""},
    {"qom-tree", "path:s?", "", ""},
    {"qtree", "", "", ""},
    {"ramblock", "", "", ""},
    {"rdma", "", "", ""},
    {"registers", "cpustate_all:-a,vcpu:i?", "", ""},
    {"replay", "", "", ""},
    {"rocker", "name:s", "", ""},
    {"rocker-of-dpa-flows", "name:s,tbl_id:i?", "", ""},
    {"rocker-of-dpa-groups", "name:s,type:i?", "", ""},
    {"rocker-ports", "name:s", "", ""},
    {"roms", "", "", ""},
    {"sev", "", "", ""},
    {"sgx", "", "", ""},
    {"snapshots", "", "", ""},
    {"spice", "", "", ""},
    {"stats", "target:s,names:s?,provider:s?", "", ""},
    {"status", "", "", "show the current VM status (running|paused)"},
    {"sync-profile", "mean:-m,no_coalesce:-n,max:i?", "", ""},
    {"tlb", "", "", ""},
    {"tpm", "", "", ""},
    {"trace-events", "name:s?,vcpu:i?", "", ""},
    {"usb", "", "", ""},
    {"usbhost", "", "", ""},
    {"usernet", "", "", ""},
    {"uuid", "", "", ""},
    {"vcpu_dirty_limit", "", "", ""},
    {"version", "", "", ""},
    {"virtio", "", "", ""},
    {"virtio-queue-element", "path:s,queue:i,index:i?", "", ""},
    {"virtio-queue-status", "path:s,queue:i", "", ""},
    {"virtio-status", "path:s", "", ""},
    {"virtio-vhost-queue-status", "path:s,queue:i", "", ""},
    {"vm-generation-id", "", "", ""},
    {"vnc", "", "", ""},
};
const HmpCommand kTopTable[] = {
    {"announce_self", "interfaces:s?,id:s?", "", ""},
    {"balloon", "value:M", "", ""},
    {"block_job_cancel", "force:-f,device:B", "", ""},
    {"block_job_complete", "device:B", "", ""},
    {"block_job_pause", "device:B", "", ""},
    {"block_job_resume", "device:B", "", ""},
    {"block_job_set_speed", "device:B,speed:o", "", ""},
    {"block_resize", "device:B,size:o", "", ""},
    {"block_set_io_throttle", "device:B,bps:l,bps_rd:l,bps_wr:l,iops:l,iops_rd:l,iops_wr:l", "",
     ""},
    {"block_stream", "device:B,speed:o?,base:s?", "", ""},
    {"boot_set", "bootdevice:s", "", ""},
    {"calc_dirty_rate", "dirty_ring:-r,dirty_bitmap:-b,second:l,sample_pages_per_GB:l?", "", ""},
    {"cancel_vcpu_dirty_limit", "cpu_index:l?", "", ""},
    {"change", "device:B,force:-f,target:F,arg:s?,read-only-mode:s?", "", ""},
    {"chardev-add", "args:s", "", ""},
    {"chardev-change", "id:s,args:s", "", ""},
    {"chardev-remove", "id:s", "", ""},
    {"chardev-send-break", "id:s", "", ""},
    {"client_migrate_info", "protocol:s,hostname:s,port:i?,tls-port:i?,cert-subject:s?", "", ""},
    {"closefd", "fdname:s", "", ""},
    {"commit", "device:B", "", ""},
    {"cont|c", "", "", ""},
    {"cpu", "index:i", "", ""},
    {"delvm", "name:s", "", ""},
    {"device_add", "device:O", "", ""},
    {"device_del", "id:s", "", ""},
    {"drive_add", "node:-n,pci_addr:s,opts:s", "", ""},
    {"drive_backup", "reuse:-n,full:-f,compress:-c,device:B,target:s,format:s?", "", ""},
    {"drive_del", "id:B", "", ""},
    {"drive_mirror", "reuse:-n,full:-f,device:B,target:s,format:s?", "", ""},
    {"dump-guest-memory",
     "paging:-p,detach:-d,windmp:-w,zlib:-z,lzo:-l,snappy:-s,filename:F,begin:l?,length:l?", "",
     ""},
    {"dumpdtb", "filename:F", "", ""},
    {"eject", "force:-f,device:B", "", ""},
    {"exit_preconfig", "", "", ""},
    {"expire_password", "protocol:s,time:s,display:-ds", "", ""},
    {"gdbserver", "device:s?", "", ""},
    {"getfd", "fdname:s", "", ""},
    {"gpa2hpa", "addr:l", "", ""},
    {"gpa2hva", "addr:l", "", ""},
    {"gva2gpa", "addr:l", "", ""},
    {"help|?", "name:S?", "[cmd]", "show the help"},
    {"hostfwd_add", "arg1:s,arg2:s?", "", ""},
    {"hostfwd_remove", "arg1:s,arg2:s?", "", ""},
    {"i", "fmt:/,addr:i,index:i.", "", ""},
    {"info", "item:s?", "", "", kInfoTable},
    {"loadvm", "name:s", "", ""},
    {"log", "items:s", "", ""},
    {"logfile", "filename:F", "", ""},
    {"mce", "broadcast:-b,cpu_index:i,bank:i,status:l,mcg_status:l,addr:l,misc:l", "", ""},
    {"memsave", "val:l,size:i,filename:s", "", ""},
    {"migrate", "detach:-d,blk:-b,inc:-i,resume:-r,uri:s", "[-d] [-b] [-i] [-r] uri",
     "migrate to URI (using -d to not wait for completion)\n\t\t\t -b for migration without "
     "shared storage with full copy of disk\n\t\t\t -i for migration without shared storage with "
     "incremental copy of disk (base image shared between src and destination)\n\t\t\t -r to "
     "resume a paused migration"},
    {"migrate_cancel", "", "", ""},
    {"migrate_continue", "state:s", "", ""},
    {"migrate_incoming", "uri:s", "", ""},
    {"migrate_pause", "", "", ""},
    {"migrate_recover", "uri:s", "", ""},
    {"migrate_set_capability", "capability:s,state:b", "", "", {}, &complete_capability},
    {"migrate_set_parameter", "parameter:s,value:s", "", ""},
    {"migrate_start_postcopy", "", "", ""},
    {"mouse_button", "button_state:i", "", ""},
    {"mouse_move", "dx_str:s,dy_str:s,dz_str:s?", "", ""},
    {"mouse_set", "index:i", "", ""},
    {"nbd_server_add", "writable:-w,device:B,name:s?", "", ""},
    {"nbd_server_remove", "force:-f,name:s", "", ""},
    {"nbd_server_start", "all:-a,writable:-w,uri:s", "", ""},
    {"nbd_server_stop", "", "", ""},
    {"netdev_add", "netdev:O", "", ""},
    {"netdev_del", "id:s", "", ""},
    {"nmi", "", "", ""},
    {"o", "fmt:/,addr:i,val:i", "", ""},
    {"object_add", "object:S", "", ""},
    {"object_del", "id:s", "", ""},
    {"pcie_aer_inject_error",
     "advisory_non_fatal:-a,correctable:-c,id:s,error_status:s,header0:i?,header1:i?,header2:i?,"
     "header3:i?,prefix0:i?,prefix1:i?,prefix2:i?,prefix3:i?",
     "", ""},
    {"pmemsave", "val:l,size:i,filename:s", "", ""},
    {"print|p", "fmt:/,val:l", "", ""},
    {"qemu-io", "qdev:-d,device:B,command:s", "", ""},
    {"qom-get", "path:s,property:s", "", ""},
    {"qom-list", "path:s?", "", ""},
    {"qom-set", "json:-j,path:s,property:s,value:S", "", ""},
    {"quit|q", "", "", ""},
    {"replay_break", "icount:l", "", ""},
    {"replay_delete_break", "", "", ""},
    {"replay_seek", "icount:l", "", ""},
    {"ringbuf_read", "device:s,size:i", "", ""},
    {"ringbuf_write", "device:s,data:s", "", ""},
    {"savevm", "name:s?", "", ""},
    {"screendump", "filename:F,format:-fs,device:s?,head:i?", "", ""},
    {"sendkey", "keys:s,hold-time:i?", "", ""},
    {"set_link", "name:s,up:b", "", ""},
    {"set_password", "protocol:s,password:s,display:-ds,connected:s?", "", ""},
    {"set_vcpu_dirty_limit", "dirty_rate:l,cpu_index:l?", "", ""},
    {"singlestep", "option:s?", "", ""},
    {"snapshot_blkdev", "reuse:-n,device:B,snapshot-file:s?,format:s?", "", ""},
    {"snapshot_blkdev_internal", "device:B,name:s", "", ""},
    {"snapshot_delete_blkdev_internal", "device:B,name:s,id:s?", "", ""},
    {"stopcapture", "n:i", "", ""},
    {"stop|s", "", "", "stop emulation"},
    {"sum", "start:i,size:i", "", ""},
    {"sync-profile", "op:s?", "", ""},
    {"system_powerdown", "", "", ""},
    {"system_reset", "", "", ""},
    {"system_wakeup", "", "", ""},
    {"trace-event", "name:s,option:b,vcpu:i?", "", ""},
    {"watchdog_action", "action:s", "", ""},
    {"wavcapture", "path:F,audiodev:s,freq:i?,bits:i?,nchannels:i?", "", ""},
    {"x", "fmt:/,addr:l", "", ""},
    {"x_colo_lost_heartbeat", "", "", ""},
    {"xp", "fmt:/,addr:l", "", ""},
};

}  // namespace

const std::span<const HmpCommand> kQemu72Commands(kTopTable);

}  // namespace test_tables
}  // namespace migemu
