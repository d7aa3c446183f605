// The x86 CPUID feature words, their bit names and the CPU models' feature
// sets, as QEMU 7.2 exposes them as CPU properties: architecture facts in
// migemu's own tables, checked against the real binary by
// python-tests/test_cpu_qom.py (docs/qom-model.md).
#include "system/x86_cpu_data.h"

namespace migemu::x86 {

// In QEMU's FeatureWord enum order (feature-words lists them reversed).
const std::vector<FeatureWordDef>& feature_words() {
  static const std::vector<FeatureWordDef> words = {
      {"FEAT_1_EDX", false, 0x1, -1, "EDX", 0xfcbfbfd, 0x0, {{0, "fpu"}, {1, "vme"}, {2, "de"}, {3, "pse"}, {4, "tsc"}, {5, "msr"}, {6, "pae"}, {7, "mce"}, {8, "cx8"}, {9, "apic"}, {11, "sep"}, {12, "mtrr"}, {13, "pge"}, {14, "mca"}, {15, "cmov"}, {16, "pat"}, {17, "pse36"}, {18, "pn"}, {19, "clflush"}, {21, "ds"}, {22, "acpi"}, {23, "mmx"}, {24, "fxsr"}, {25, "sse"}, {26, "sse2"}, {27, "ss"}, {28, "ht"}, {29, "tm"}, {30, "ia64"}, {31, "pbe"}}},
      {"FEAT_1_ECX", false, 0x1, -1, "ECX", 0xf6d8320b, 0x0, {{0, "pni"}, {1, "pclmulqdq"}, {2, "dtes64"}, {3, "monitor"}, {4, "ds-cpl"}, {5, "vmx"}, {6, "smx"}, {7, "est"}, {8, "tm2"}, {9, "ssse3"}, {10, "cid"}, {12, "fma"}, {13, "cx16"}, {14, "xtpr"}, {15, "pdcm"}, {17, "pcid"}, {18, "dca"}, {19, "sse4.1"}, {20, "sse4.2"}, {21, "x2apic"}, {22, "movbe"}, {23, "popcnt"}, {24, "tsc-deadline"}, {25, "aes"}, {26, "xsave"}, {28, "avx"}, {29, "f16c"}, {30, "rdrand"}, {31, "hypervisor"}}},
      {"FEAT_7_0_EBX", false, 0x7, 0, "EBX", 0x1d843a9, 0x0, {{0, "fsgsbase"}, {1, "tsc-adjust"}, {2, "sgx"}, {3, "bmi1"}, {4, "hle"}, {5, "avx2"}, {7, "smep"}, {8, "bmi2"}, {9, "erms"}, {10, "invpcid"}, {11, "rtm"}, {14, "mpx"}, {16, "avx512f"}, {17, "avx512dq"}, {18, "rdseed"}, {19, "adx"}, {20, "smap"}, {21, "avx512ifma"}, {22, "pcommit"}, {23, "clflushopt"}, {24, "clwb"}, {25, "intel-pt"}, {26, "avx512pf"}, {27, "avx512er"}, {28, "avx512cd"}, {29, "sha-ni"}, {30, "avx512bw"}, {31, "avx512vl"}}},
      {"FEAT_7_0_ECX", false, 0x7, 0, "ECX", 0x8001020c, 0x0, {{1, "avx512vbmi"}, {2, "umip"}, {3, "pku"}, {5, "waitpkg"}, {6, "avx512vbmi2"}, {8, "gfni"}, {9, "vaes"}, {10, "vpclmulqdq"}, {11, "avx512vnni"}, {12, "avx512bitalg"}, {14, "avx512-vpopcntdq"}, {16, "la57"}, {22, "rdpid"}, {24, "bus-lock-detect"}, {25, "cldemote"}, {27, "movdiri"}, {28, "movdir64b"}, {30, "sgxlc"}, {31, "pks"}}},
      {"FEAT_7_0_EDX", false, 0x7, 0, "EDX", 0x0, 0x0, {{2, "avx512-4vnniw"}, {3, "avx512-4fmaps"}, {4, "fsrm"}, {8, "avx512-vp2intersect"}, {10, "md-clear"}, {14, "serialize"}, {16, "tsx-ldtrk"}, {19, "arch-lbr"}, {22, "amx-bf16"}, {23, "avx512-fp16"}, {24, "amx-tile"}, {25, "amx-int8"}, {26, "spec-ctrl"}, {27, "stibp"}, {29, "arch-capabilities"}, {30, "core-capability"}, {31, "ssbd"}}},
      {"FEAT_7_1_EAX", false, 0x7, 1, "EAX", 0x0, 0x0, {{4, "avx-vnni"}, {5, "avx512-bf16"}}},
      {"FEAT_8000_0001_EDX", false, 0x80000001, -1, "EDX", 0xedd3fbfd, 0x0, {{11, "syscall"}, {20, "nx"}, {22, "mmxext"}, {25, "fxsr-opt"}, {26, "pdpe1gb"}, {27, "rdtscp"}, {29, "lm"}, {30, "3dnowext"}, {31, "3dnow"}}},
      {"FEAT_8000_0001_ECX", false, 0x80000001, -1, "ECX", 0x75, 0x400000, {{0, "lahf-lm"}, {1, "cmp-legacy"}, {2, "svm"}, {3, "extapic"}, {4, "cr8legacy"}, {5, "abm"}, {6, "sse4a"}, {7, "misalignsse"}, {8, "3dnowprefetch"}, {9, "osvw"}, {10, "ibs"}, {11, "xop"}, {12, "skinit"}, {13, "wdt"}, {15, "lwp"}, {16, "fma4"}, {17, "tce"}, {19, "nodeid-msr"}, {21, "tbm"}, {22, "topoext"}, {23, "perfctr-core"}, {24, "perfctr-nb"}}},
      {"FEAT_8000_0007_EDX", false, 0x80000007, -1, "EDX", 0x0, 0x0, {{8, "invtsc"}}},
      {"FEAT_8000_0008_EBX", false, 0x80000008, -1, "EBX", 0x0, 0x0, {{0, "clzero"}, {2, "xsaveerptr"}, {9, "wbnoinvd"}, {12, "ibpb"}, {14, "ibrs"}, {15, "amd-stibp"}, {24, "amd-ssbd"}, {25, "virt-ssbd"}, {26, "amd-no-ssb"}}},
      {"FEAT_C000_0001_EDX", false, 0xc0000001, -1, "EDX", 0x0, 0x0, {{2, "xstore"}, {3, "xstore-en"}, {6, "xcrypt"}, {7, "xcrypt-en"}, {8, "ace2"}, {9, "ace2-en"}, {10, "phe"}, {11, "phe-en"}, {12, "pmm"}, {13, "pmm-en"}}},
      {"FEAT_KVM", false, 0x40000001, -1, "EAX", 0x0, 0x0, {{0, "kvmclock"}, {1, "kvm-nopiodelay"}, {2, "kvm-mmu"}, {3, "kvmclock"}, {4, "kvm-asyncpf"}, {5, "kvm-steal-time"}, {6, "kvm-pv-eoi"}, {7, "kvm-pv-unhalt"}, {9, "kvm-pv-tlb-flush"}, {11, "kvm-pv-ipi"}, {12, "kvm-poll-control"}, {13, "kvm-pv-sched-yield"}, {14, "kvm-asyncpf-int"}, {15, "kvm-msi-ext-dest-id"}, {24, "kvmclock-stable-bit"}}},
      {"FEAT_KVM_HINTS", false, 0x40000001, -1, "EDX", 0x0, 0xffffffffffffffff, {{0, "kvm-hint-dedicated"}}},
      {"FEAT_SVM", false, 0x8000000a, -1, "EDX", 0x10010001, 0x0, {{0, "npt"}, {1, "lbrv"}, {2, "svm-lock"}, {3, "nrip-save"}, {4, "tsc-scale"}, {5, "vmcb-clean"}, {6, "flushbyasid"}, {7, "decodeassists"}, {10, "pause-filter"}, {12, "pfthreshold"}, {13, "avic"}, {15, "v-vmsave-vmload"}, {16, "vgif"}, {28, "svme-addr-chk"}}},
      {"FEAT_XSAVE", false, 0xd, 1, "EAX", 0x5, 0x0, {{0, "xsaveopt"}, {1, "xsavec"}, {2, "xgetbv1"}, {3, "xsaves"}, {4, "xfd"}}},
      {"FEAT_6_EAX", false, 0x6, -1, "EAX", 0x4, 0x0, {{2, "arat"}}},
      {"FEAT_XSAVE_XCR0_LO", false, 0xd, 0, "EAX", 0xffffffffffffffff, 0x0, {}},
      {"FEAT_XSAVE_XCR0_HI", false, 0xd, 0, "EDX", 0xffffffffffffffff, 0x0, {}},
      {"FEAT_ARCH_CAPABILITIES", true, 0, -1, "", 0x0, 0x0, {{0, "rdctl-no"}, {1, "ibrs-all"}, {2, "rsba"}, {3, "skip-l1dfl-vmentry"}, {4, "ssb-no"}, {5, "mds-no"}, {6, "pschange-mc-no"}, {7, "tsx-ctrl"}, {8, "taa-no"}}},
      {"FEAT_CORE_CAPABILITY", true, 0, -1, "", 0x0, 0x0, {{5, "split-lock-detect"}}},
      {"FEAT_PERF_CAPABILITIES", true, 0, -1, "", 0x0, 0x0, {{13, "full-width-write"}}},
      {"FEAT_VMX_PROCBASED_CTLS", true, 0, -1, "", 0x0, 0x0, {{2, "vmx-vintr-pending"}, {3, "vmx-tsc-offset"}, {7, "vmx-hlt-exit"}, {9, "vmx-invlpg-exit"}, {10, "vmx-mwait-exit"}, {11, "vmx-rdpmc-exit"}, {12, "vmx-rdtsc-exit"}, {15, "vmx-cr3-load-noexit"}, {16, "vmx-cr3-store-noexit"}, {19, "vmx-cr8-load-exit"}, {20, "vmx-cr8-store-exit"}, {21, "vmx-flexpriority"}, {22, "vmx-vnmi-pending"}, {23, "vmx-movdr-exit"}, {24, "vmx-io-exit"}, {25, "vmx-io-bitmap"}, {27, "vmx-mtf"}, {28, "vmx-msr-bitmap"}, {29, "vmx-monitor-exit"}, {30, "vmx-pause-exit"}, {31, "vmx-secondary-ctls"}}},
      {"FEAT_VMX_SECONDARY_CTLS", true, 0, -1, "", 0x0, 0x0, {{0, "vmx-apicv-xapic"}, {1, "vmx-ept"}, {2, "vmx-desc-exit"}, {3, "vmx-rdtscp-exit"}, {4, "vmx-apicv-x2apic"}, {5, "vmx-vpid"}, {6, "vmx-wbinvd-exit"}, {7, "vmx-unrestricted-guest"}, {8, "vmx-apicv-register"}, {9, "vmx-apicv-vid"}, {10, "vmx-ple"}, {11, "vmx-rdrand-exit"}, {12, "vmx-invpcid-exit"}, {13, "vmx-vmfunc"}, {14, "vmx-shadow-vmcs"}, {15, "vmx-encls-exit"}, {16, "vmx-rdseed-exit"}, {17, "vmx-pml"}, {20, "vmx-xsaves"}, {25, "vmx-tsc-scaling"}}},
      {"FEAT_VMX_PINBASED_CTLS", true, 0, -1, "", 0x0, 0x0, {{0, "vmx-intr-exit"}, {3, "vmx-nmi-exit"}, {5, "vmx-vnmi"}, {6, "vmx-preemption-timer"}, {7, "vmx-posted-intr"}}},
      {"FEAT_VMX_EXIT_CTLS", true, 0, -1, "", 0x0, 0x0, {{2, "vmx-exit-nosave-debugctl"}, {12, "vmx-exit-load-perf-global-ctrl"}, {15, "vmx-exit-ack-intr"}, {18, "vmx-exit-save-pat"}, {19, "vmx-exit-load-pat"}, {20, "vmx-exit-save-efer"}, {21, "vmx-exit-load-efer"}, {22, "vmx-exit-save-preemption-timer"}, {23, "vmx-exit-clear-bndcfgs"}, {25, "vmx-exit-clear-rtit-ctl"}, {29, "vmx-exit-load-pkrs"}}},
      {"FEAT_VMX_ENTRY_CTLS", true, 0, -1, "", 0x0, 0x0, {{2, "vmx-entry-noload-debugctl"}, {9, "vmx-entry-ia32e-mode"}, {13, "vmx-entry-load-perf-global-ctrl"}, {14, "vmx-entry-load-pat"}, {15, "vmx-entry-load-efer"}, {16, "vmx-entry-load-bndcfgs"}, {18, "vmx-entry-load-rtit-ctl"}, {22, "vmx-entry-load-pkrs"}}},
      {"FEAT_VMX_MISC", true, 0, -1, "", 0x0, 0x0, {{5, "vmx-store-lma"}, {6, "vmx-activity-hlt"}, {7, "vmx-activity-shutdown"}, {8, "vmx-activity-wait-sipi"}, {29, "vmx-vmwrite-vmexit-fields"}, {30, "vmx-zero-len-inject"}}},
      {"FEAT_VMX_EPT_VPID_CAPS", true, 0, -1, "", 0x0, 0x0, {{0, "vmx-ept-execonly"}, {6, "vmx-page-walk-4"}, {7, "vmx-page-walk-5"}, {16, "vmx-ept-2mb"}, {17, "vmx-ept-1gb"}, {20, "vmx-invept"}, {21, "vmx-eptad"}, {22, "vmx-ept-advanced-exitinfo"}, {25, "vmx-invept-single-context"}, {26, "vmx-invept-all-context"}, {32, "vmx-invvpid"}, {40, "vmx-invvpid-single-addr"}, {41, "vmx-invept-single-context"}, {42, "vmx-invvpid-all-context"}, {43, "vmx-invept-single-context-noglobals"}}},
      {"FEAT_VMX_BASIC", true, 0, -1, "", 0x0, 0x2000000000000, {{54, "vmx-ins-outs"}, {55, "vmx-true-ctls"}}},
      {"FEAT_VMX_VMFUNC", true, 0, -1, "", 0x0, 0x0, {{0, "vmx-eptp-switching"}}},
      {"FEAT_14_0_ECX", false, 0x14, 0, "ECX", 0x0, 0x0, {{31, "intel-pt-lip"}}},
      {"FEAT_SGX_12_0_EAX", false, 0x12, 0, "EAX", 0x0, 0x0, {{0, "sgx1"}, {1, "sgx2"}}},
      {"FEAT_SGX_12_0_EBX", false, 0x12, 0, "EBX", 0x0, 0x0, {{0, "sgx-exinfo"}}},
      {"FEAT_SGX_12_1_EAX", false, 0x12, 1, "EAX", 0x0, 0x0, {{1, "sgx-debug"}, {2, "sgx-mode64"}, {4, "sgx-provisionkey"}, {5, "sgx-tokenkey"}, {7, "sgx-kss"}}},
      {"FEAT_XSAVE_XSS_LO", false, 0xd, 1, "ECX", 0x0, 0x0, {}},
      {"FEAT_XSAVE_XSS_HI", false, 0xd, 1, "EDX", 0x0, 0x0, {}},
  };
  return words;
}

const std::vector<ModelDef>& model_defs() {
  static const std::vector<ModelDef> models = {
      {"486", 1, "GenuineIntel", 4, 8, 0, 0x0, "", {{"FEAT_1_EDX", 0xb}}},
      {"Conroe", 10, "GenuineIntel", 6, 15, 3, 0x80000008, "Intel Celeron_4x0 (Conroe/Merom Class Core 2)", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x201}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x1}, {"FEAT_VMX_BASIC", 0x40000000000000}, {"FEAT_VMX_ENTRY_CTLS", 0x200}, {"FEAT_VMX_EXIT_CTLS", 0x8000}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x29}, {"FEAT_VMX_PROCBASED_CTLS", 0xf3f81e8c}, {"FEAT_VMX_SECONDARY_CTLS", 0x1}}},
      {"Nehalem", 11, "GenuineIntel", 6, 26, 3, 0x80000008, "Intel Core i7 9xx (Nehalem Class Core i7)", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x982201}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x1}, {"FEAT_VMX_BASIC", 0xc0000000000000}, {"FEAT_VMX_ENTRY_CTLS", 0xe204}, {"FEAT_VMX_EPT_VPID_CAPS", 0xf0106134041}, {"FEAT_VMX_EXIT_CTLS", 0x7c9004}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x69}, {"FEAT_VMX_PROCBASED_CTLS", 0xfbf99e8c}, {"FEAT_VMX_SECONDARY_CTLS", 0x7f}}},
      {"Opteron_G1", 5, "AuthenticAMD", 15, 6, 1, 0x80000008, "AMD Opteron 240 (Gen 1 Class Opteron)", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x1}, {"FEAT_8000_0001_EDX", 0x20100800}}},
      {"Opteron_G2", 5, "AuthenticAMD", 15, 6, 1, 0x80000008, "AMD Opteron 22xx (Gen 2 Class Opteron)", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x2001}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x5}}},
      {"Penryn", 10, "GenuineIntel", 6, 23, 3, 0x80000008, "Intel Core 2 Duo P9xxx (Penryn Class Core 2)", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x82201}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x1}, {"FEAT_VMX_BASIC", 0x40000000000000}, {"FEAT_VMX_ENTRY_CTLS", 0x2200}, {"FEAT_VMX_EXIT_CTLS", 0x9000}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x29}, {"FEAT_VMX_PROCBASED_CTLS", 0xf3f81e8c}, {"FEAT_VMX_SECONDARY_CTLS", 0x41}}},
      {"Westmere", 11, "GenuineIntel", 6, 44, 1, 0x80000008, "Westmere E56xx/L56xx/X56xx (Nehalem-C)", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x2982203}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x1}, {"FEAT_6_EAX", 0x4}, {"FEAT_VMX_BASIC", 0xc0000000000000}, {"FEAT_VMX_ENTRY_CTLS", 0xe204}, {"FEAT_VMX_EPT_VPID_CAPS", 0xf0106134041}, {"FEAT_VMX_EXIT_CTLS", 0x7c9004}, {"FEAT_VMX_MISC", 0x60}, {"FEAT_VMX_PINBASED_CTLS", 0x69}, {"FEAT_VMX_PROCBASED_CTLS", 0xfbf99e8c}, {"FEAT_VMX_SECONDARY_CTLS", 0xff}}},
      {"athlon", 2, "AuthenticAMD", 6, 2, 3, 0x80000008, "QEMU Virtual CPU version 2.5+", {{"FEAT_1_EDX", 0x783fbff}, {"FEAT_8000_0001_EDX", 0xc0400000}}},
      {"core2duo", 10, "GenuineIntel", 6, 15, 11, 0x80000008, "Intel(R) Core(TM)2 Duo CPU     T7700  @ 2.40GHz", {{"FEAT_1_EDX", 0xfcbfbff}, {"FEAT_1_ECX", 0x2209}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x1}, {"FEAT_VMX_BASIC", 0x40000000000000}, {"FEAT_VMX_ENTRY_CTLS", 0x200}, {"FEAT_VMX_EXIT_CTLS", 0x8000}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x29}, {"FEAT_VMX_PROCBASED_CTLS", 0xf3f81e8c}, {"FEAT_VMX_SECONDARY_CTLS", 0x1}}},
      {"coreduo", 10, "GenuineIntel", 6, 14, 8, 0x80000008, "Genuine Intel(R) CPU           T2600  @ 2.16GHz", {{"FEAT_1_EDX", 0xfc9fbff}, {"FEAT_1_ECX", 0x9}, {"FEAT_8000_0001_EDX", 0x100000}, {"FEAT_VMX_ENTRY_CTLS", 0x200}, {"FEAT_VMX_EXIT_CTLS", 0x8000}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x9}, {"FEAT_VMX_PROCBASED_CTLS", 0x73801e8c}}},
      {"kvm32", 5, "GenuineIntel", 15, 6, 1, 0x80000008, "Common 32-bit KVM processor", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x1}, {"FEAT_8000_0001_ECX", 0x0}, {"FEAT_VMX_ENTRY_CTLS", 0x200}, {"FEAT_VMX_EXIT_CTLS", 0x8000}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x9}, {"FEAT_VMX_PROCBASED_CTLS", 0x73801e8c}}},
      {"kvm64", 13, "GenuineIntel", 15, 6, 1, 0x80000008, "Common KVM processor", {{"FEAT_1_EDX", 0x78bfbff}, {"FEAT_1_ECX", 0x2001}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x0}, {"FEAT_VMX_ENTRY_CTLS", 0x200}, {"FEAT_VMX_EXIT_CTLS", 0x8000}, {"FEAT_VMX_MISC", 0x40}, {"FEAT_VMX_PINBASED_CTLS", 0x9}, {"FEAT_VMX_PROCBASED_CTLS", 0x63b81e8c}}},
      {"n270", 10, "GenuineIntel", 6, 28, 2, 0x80000008, "Intel(R) Atom(TM) CPU N270   @ 1.60GHz", {{"FEAT_1_EDX", 0xfc9fbff}, {"FEAT_1_ECX", 0x400209}, {"FEAT_8000_0001_EDX", 0x100000}, {"FEAT_8000_0001_ECX", 0x1}}},
      {"pentium", 1, "GenuineIntel", 5, 4, 3, 0x0, "", {{"FEAT_1_EDX", 0x8003bf}}},
      {"pentium2", 2, "GenuineIntel", 6, 5, 2, 0x0, "", {{"FEAT_1_EDX", 0x183fbff}}},
      {"pentium3", 3, "GenuineIntel", 6, 7, 3, 0x0, "", {{"FEAT_1_EDX", 0x383fbff}}},
      {"qemu32", 4, "GenuineIntel", 6, 6, 3, 0x80000004, "QEMU Virtual CPU version 2.5+", {{"FEAT_1_EDX", 0x781abfd}, {"FEAT_1_ECX", 0x1}}},
      {"qemu64", 13, "AuthenticAMD", 15, 107, 1, 0x8000000a, "QEMU Virtual CPU version 2.5+", {{"FEAT_1_EDX", 0x78bfbfd}, {"FEAT_1_ECX", 0x2001}, {"FEAT_8000_0001_EDX", 0x20100800}, {"FEAT_8000_0001_ECX", 0x5}}},
  };
  return models;
}

const std::vector<FeatureDep>& feature_dependencies() {
  static const std::vector<FeatureDep> deps = {
      {"FEAT_7_0_EDX", 0x20000000, "FEAT_ARCH_CAPABILITIES", 0xffffffffffffffff},
      {"FEAT_7_0_EDX", 0x40000000, "FEAT_CORE_CAPABILITY", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x8000, "FEAT_PERF_CAPABILITIES", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x20, "FEAT_VMX_PROCBASED_CTLS", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x20, "FEAT_VMX_PINBASED_CTLS", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x20, "FEAT_VMX_EXIT_CTLS", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x20, "FEAT_VMX_ENTRY_CTLS", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x20, "FEAT_VMX_MISC", 0xffffffffffffffff},
      {"FEAT_1_ECX", 0x20, "FEAT_VMX_BASIC", 0xffffffffffffffff},
      {"FEAT_8000_0001_EDX", 0x20000000, "FEAT_VMX_ENTRY_CTLS", 0x200},
      {"FEAT_VMX_PROCBASED_CTLS", 0x80000000, "FEAT_VMX_SECONDARY_CTLS", 0xffffffffffffffff},
      {"FEAT_XSAVE", 0x8, "FEAT_VMX_SECONDARY_CTLS", 0x100000},
      {"FEAT_1_ECX", 0x40000000, "FEAT_VMX_SECONDARY_CTLS", 0x800},
      {"FEAT_7_0_EBX", 0x400, "FEAT_VMX_SECONDARY_CTLS", 0x1000},
      {"FEAT_7_0_EBX", 0x4000, "FEAT_VMX_EXIT_CTLS", 0x800000},
      {"FEAT_7_0_EBX", 0x4000, "FEAT_VMX_ENTRY_CTLS", 0x10000},
      {"FEAT_7_0_EBX", 0x40000, "FEAT_VMX_SECONDARY_CTLS", 0x10000},
      {"FEAT_7_0_EBX", 0x2000000, "FEAT_14_0_ECX", 0xffffffffffffffff},
      {"FEAT_8000_0001_EDX", 0x8000000, "FEAT_VMX_SECONDARY_CTLS", 0x8},
      {"FEAT_VMX_SECONDARY_CTLS", 0x2, "FEAT_VMX_EPT_VPID_CAPS", 0xffffffff},
      {"FEAT_VMX_SECONDARY_CTLS", 0x2, "FEAT_VMX_SECONDARY_CTLS", 0x80},
      {"FEAT_VMX_SECONDARY_CTLS", 0x20, "FEAT_VMX_EPT_VPID_CAPS", 0xffffffff00000000},
      {"FEAT_VMX_SECONDARY_CTLS", 0x2000, "FEAT_VMX_VMFUNC", 0xffffffffffffffff},
      {"FEAT_8000_0001_ECX", 0x4, "FEAT_SVM", 0xffffffffffffffff},
  };
  return deps;
}

// x86_cpu_properties: the qdev properties of every x86 CPU, with defaults.
const std::vector<QdevPropDef>& qdev_props() {
  static const std::vector<QdevPropDef> props = {
      {"apic-id", "uint32", "4294967295"},
      {"thread-id", "int32", "-1"},
      {"core-id", "int32", "-1"},
      {"die-id", "int32", "-1"},
      {"socket-id", "int32", "-1"},
      {"node-id", "int32", "-1"},
      {"pmu", "bool", "false"},
      {"lbr-fmt", "uint64", "63"},
      {"hv-spinlocks", "uint32", "4294967295"},
      {"hv-relaxed", "bool", "false"},
      {"hv-vapic", "bool", "false"},
      {"hv-time", "bool", "false"},
      {"hv-crash", "bool", "false"},
      {"hv-reset", "bool", "false"},
      {"hv-vpindex", "bool", "false"},
      {"hv-runtime", "bool", "false"},
      {"hv-synic", "bool", "false"},
      {"hv-stimer", "bool", "false"},
      {"hv-frequencies", "bool", "false"},
      {"hv-reenlightenment", "bool", "false"},
      {"hv-tlbflush", "bool", "false"},
      {"hv-evmcs", "bool", "false"},
      {"hv-ipi", "bool", "false"},
      {"hv-stimer-direct", "bool", "false"},
      {"hv-avic", "bool", "false"},
      {"hv-emsr-bitmap", "bool", "false"},
      {"hv-xmm-input", "bool", "false"},
      {"hv-tlbflush-ext", "bool", "false"},
      {"hv-tlbflush-direct", "bool", "false"},
      {"hv-no-nonarch-coresharing", "OnOffAuto", "off"},
      {"hv-syndbg", "bool", "false"},
      {"hv-passthrough", "bool", "false"},
      {"hv-enforce-cpuid", "bool", "false"},
      {"hv-version-id-build", "uint32", "14393"},
      {"hv-version-id-major", "uint16", "10"},
      {"hv-version-id-minor", "uint16", "0"},
      {"hv-version-id-spack", "uint32", "0"},
      {"hv-version-id-sbranch", "uint8", "0"},
      {"hv-version-id-snumber", "uint32", "0"},
      {"check", "bool", "true"},
      {"enforce", "bool", "false"},
      {"x-force-features", "bool", "false"},
      {"kvm", "bool", "true"},
      {"phys-bits", "uint32", "0"},
      {"host-phys-bits", "bool", "false"},
      {"host-phys-bits-limit", "uint8", "0"},
      {"fill-mtrr-mask", "bool", "true"},
      {"level-func7", "uint32", "4294967295"},
      {"level", "uint32", "4294967295"},
      {"xlevel", "uint32", "4294967295"},
      {"xlevel2", "uint32", "4294967295"},
      {"min-level", "uint32", "0"},
      {"min-xlevel", "uint32", "0"},
      {"min-xlevel2", "uint32", "0"},
      {"ucode-rev", "uint64", "0"},
      {"full-cpuid-auto-level", "bool", "true"},
      {"hv-vendor-id", "str", ""},
      {"cpuid-0xb", "bool", "true"},
      {"x-vendor-cpuid-only", "bool", "true"},
      {"lmce", "bool", "false"},
      {"l3-cache", "bool", "true"},
      {"kvm-no-smi-migration", "bool", "false"},
      {"kvm-pv-enforce-cpuid", "bool", "false"},
      {"vmware-cpuid-freq", "bool", "true"},
      {"tcg-cpuid", "bool", "true"},
      {"x-migrate-smi-count", "bool", "true"},
      {"legacy-cache", "bool", "true"},
      {"x-hv-max-vps", "int32", "-1"},
      {"x-hv-synic-kvm-only", "bool", "false"},
      {"x-intel-pt-auto-level", "bool", "true"},
  };
  return props;
}

const uint64_t kAmdAliases = 0x183f3ff;

}  // namespace migemu::x86
