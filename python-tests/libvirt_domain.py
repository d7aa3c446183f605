"""The domain XML the libvirt tests give libvirt: a minimal type='qemu' x86
domain (no USB, no balloon, optionally a pty serial console), which is what
migemu's domain supports (docs/libvirt.md)."""


def domain_xml(name, emulator, mib=128, machine="pc", serial=True):
    console = "    <serial type='pty'/>\n" if serial else ""
    return """<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='%s'>hvm</type></os>
  <devices>
    <emulator>%s</emulator>
    <controller type='usb' model='none'/>
%s    <memballoon model='none'/>
  </devices>
</domain>
""" % (name, mib, machine, emulator, console)
