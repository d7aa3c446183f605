#include "dump/elf_core.h"

#include <elf.h>

#include <cstring>

namespace migemu {

namespace {

constexpr char kShstrtab[] = "\0.shstrtab";  // 11 bytes with the final NUL

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

void put32(std::string& out, uint32_t v) {
  put(out, v);
}
void put64(std::string& out, uint64_t v) {
  put(out, v);
}

// Linux's i386 struct elf_prstatus: 24 bytes, pid, 44 bytes, 17 registers,
// 4 bytes.
std::string prstatus_i386(const ElfCoreCpu& cpu, uint32_t pid) {
  std::string d(24, '\0');
  put32(d, pid);
  d.append(44, '\0');
  // ebx ecx edx esi edi ebp eax ds es fs gs orig_eax eip cs eflags esp ss
  const uint32_t regs[17] = {0, 0, cpu.cpuid_version, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfff0, 0xf000, 2,
                             0, 0};
  for (uint32_t r : regs) put32(d, r);
  d.append(4, '\0');
  return d;
}

void put_segment(std::string& d, uint32_t selector, uint32_t limit, uint32_t flags, uint64_t base) {
  put32(d, selector);
  put32(d, limit);
  put32(d, flags);
  put32(d, 0);
  put64(d, base);
}

// QEMU's own note: version 1, its size, the general registers, rip, rflags,
// ten segments (cs ds es fs gs ss ldt tr gdt idt), cr0-cr4, kernel_gs_base.
std::string qemu_cpu_state(const ElfCoreCpu& cpu) {
  constexpr uint32_t kSize = 440;
  std::string d;
  put32(d, 1);
  put32(d, kSize);
  const uint64_t gprs[16] = {0, 0, 0, cpu.cpuid_version};  // rax rbx rcx rdx ... r15
  for (uint64_t r : gprs) put64(d, r);
  put64(d, 0xfff0);  // rip
  put64(d, 2);       // rflags
  put_segment(d, 0xf000, 0xffff, 0x9b00, 0xffff0000);
  for (int i = 0; i < 5; ++i) put_segment(d, 0, 0xffff, 0x9300, 0);
  put_segment(d, 0, 0xffff, 0x8200, 0);  // ldt
  put_segment(d, 0, 0xffff, 0x8b00, 0);  // tr
  put_segment(d, 0, 0xffff, 0, 0);       // gdt
  put_segment(d, 0, 0xffff, 0, 0);       // idt
  put64(d, 0x60000010);                  // cr0
  for (int i = 1; i < 5; ++i) put64(d, 0);
  put64(d, 0);  // kernel_gs_base
  return d;
}

// Elf32_Nhdr and Elf64_Nhdr have the same three 32-bit words.
void put_note(std::string& out, const char* name, uint32_t type, const std::string& desc) {
  const uint32_t namesz = static_cast<uint32_t>(strlen(name) + 1);
  put32(out, namesz);
  put32(out, static_cast<uint32_t>(desc.size()));
  put32(out, type);
  std::string n(name, namesz);
  n.resize((namesz + 3) & ~3u, '\0');
  out += n;
  out += desc;
  out.resize((out.size() + 3) & ~size_t{3}, '\0');
}

template <typename Ehdr, typename Phdr, typename Shdr>
ElfCoreLayout build(unsigned char elf_class, const std::vector<GuestPhysRange>& dumped,
                    const std::string& notes) {
  const size_t phnum = 1 + dumped.size();
  const uint64_t sh_off = sizeof(Ehdr);
  const uint64_t ph_off = sh_off + 2 * sizeof(Shdr);
  const uint64_t note_off = ph_off + phnum * sizeof(Phdr);
  const uint64_t data_off = note_off + notes.size();
  uint64_t data_size = 0;
  for (const GuestPhysRange& r : dumped) data_size += r.size;

  Ehdr eh{};
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = elf_class;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_386;  // no vCPU is in long mode
  eh.e_version = EV_CURRENT;
  eh.e_phoff = ph_off;
  eh.e_shoff = sh_off;
  eh.e_ehsize = 8;  // QEMU 7.2 stores the size of a pointer here
  eh.e_phentsize = sizeof(Phdr);
  eh.e_phnum = static_cast<decltype(eh.e_phnum)>(phnum);
  eh.e_shentsize = sizeof(Shdr);
  eh.e_shnum = 2;
  eh.e_shstrndx = 1;

  ElfCoreLayout out;
  put(out.head, eh);
  Shdr null_sh{};
  put(out.head, null_sh);
  Shdr strtab{};
  strtab.sh_name = 1;
  strtab.sh_type = SHT_STRTAB;
  strtab.sh_offset = data_off + data_size;
  strtab.sh_size = sizeof kShstrtab;
  put(out.head, strtab);

  Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = note_off;
  note.p_filesz = note.p_memsz = notes.size();
  put(out.head, note);
  uint64_t off = data_off;
  for (const GuestPhysRange& r : dumped) {
    Phdr load{};
    load.p_type = PT_LOAD;
    load.p_offset = off;
    load.p_vaddr = load.p_paddr = r.gpa;
    load.p_filesz = load.p_memsz = r.size;
    put(out.head, load);
    off += r.size;
  }
  out.head += notes;
  out.data_offset = out.head.size();
  out.tail.assign(kShstrtab, sizeof kShstrtab);
  return out;
}

}  // namespace

ElfCoreLayout elf_core_layout(const std::vector<GuestPhysRange>& all,
                              const std::vector<GuestPhysRange>& dumped,
                              const std::vector<ElfCoreCpu>& cpus) {
  // Every CPU's NT_PRSTATUS (pid = index + 1), then every CPU's QEMU note.
  std::string notes;
  uint32_t pid = 1;
  for (const ElfCoreCpu& cpu : cpus)
    put_note(notes, "CORE", NT_PRSTATUS, prstatus_i386(cpu, pid++));
  for (const ElfCoreCpu& cpu : cpus) put_note(notes, "QEMU", 0, qemu_cpu_state(cpu));

  bool above_4g = false;
  for (const GuestPhysRange& r : all) above_4g = above_4g || r.end() > UINT32_MAX;
  if (above_4g) return build<Elf64_Ehdr, Elf64_Phdr, Elf64_Shdr>(ELFCLASS64, dumped, notes);
  return build<Elf32_Ehdr, Elf32_Phdr, Elf32_Shdr>(ELFCLASS32, dumped, notes);
}

}  // namespace migemu
