//! The device tree handed to firmware and kernel, describing exactly what the board has, in
//! the shape of QEMU's `virt` tree (`qemu-system-riscv64 -machine virt,dumpdtb=F`).

use vm_fdt::{FdtWriter, FdtWriterResult};

use crate::board;

/// The ISA extensions the hart implements, as `riscv,isa-extensions` lists them.
pub const ISA_EXTENSIONS: &[&str] = &["i", "m", "a", "f", "d", "c", "zicntr", "zicsr", "zifencei"];

/// What the tree describes beyond the fixed board.
#[derive(Clone, Debug, Default)]
pub struct FdtConfig {
    /// RAM size in bytes.
    pub memory_size: u64,
    /// Kernel command line.
    pub bootargs: String,
    /// Initrd placement (start, end) in guest physical memory.
    pub initrd: Option<(u64, u64)>,
    /// virtio-mmio slots (0..8) that have a device.
    pub virtio_slots: Vec<usize>,
}

const PHANDLE_CPU_INTC: u32 = 1;
const PHANDLE_PLIC: u32 = 2;
const PHANDLE_TEST: u32 = 3;

/// Local interrupt numbers on the hart's interrupt controller.
const IRQ_M_SOFT: u32 = 3;
const IRQ_M_TIMER: u32 = 7;
const IRQ_S_EXT: u32 = 9;
const IRQ_M_EXT: u32 = 11;

/// Builds the flattened device tree blob.
pub fn build(config: &FdtConfig) -> FdtWriterResult<Vec<u8>> {
    let mut fdt = FdtWriter::new()?;
    let root = fdt.begin_node("")?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_string("compatible", "riscv-virtio")?;
    fdt.property_string("model", "riscv-virtio,qemu")?;

    let chosen = fdt.begin_node("chosen")?;
    fdt.property_string("bootargs", &config.bootargs)?;
    fdt.property_string(
        "stdout-path",
        &format!("/soc/serial@{:x}", board::UART_BASE),
    )?;
    if let Some((start, end)) = config.initrd {
        fdt.property_u64("linux,initrd-start", start)?;
        fdt.property_u64("linux,initrd-end", end)?;
    }
    fdt.end_node(chosen)?;

    let memory = fdt.begin_node(&format!("memory@{:x}", board::RAM_BASE))?;
    fdt.property_string("device_type", "memory")?;
    fdt.property_array_u64("reg", &[board::RAM_BASE, config.memory_size])?;
    fdt.end_node(memory)?;

    let cpus = fdt.begin_node("cpus")?;
    fdt.property_u32("#address-cells", 1)?;
    fdt.property_u32("#size-cells", 0)?;
    fdt.property_u32("timebase-frequency", board::TIMEBASE_HZ as u32)?;
    let cpu = fdt.begin_node("cpu@0")?;
    fdt.property_string("device_type", "cpu")?;
    fdt.property_u32("reg", 0)?;
    fdt.property_string("status", "okay")?;
    fdt.property_string("compatible", "riscv")?;
    fdt.property_string("riscv,isa", "rv64imafdc_zicntr_zicsr_zifencei")?;
    fdt.property_string("riscv,isa-base", "rv64i")?;
    fdt.property_string_list(
        "riscv,isa-extensions",
        ISA_EXTENSIONS.iter().map(|s| s.to_string()).collect(),
    )?;
    fdt.property_string("mmu-type", "riscv,sv48")?;
    let intc = fdt.begin_node("interrupt-controller")?;
    fdt.property_u32("#interrupt-cells", 1)?;
    fdt.property_null("interrupt-controller")?;
    fdt.property_string("compatible", "riscv,cpu-intc")?;
    fdt.property_phandle(PHANDLE_CPU_INTC)?;
    fdt.end_node(intc)?;
    fdt.end_node(cpu)?;
    fdt.end_node(cpus)?;

    let poweroff = fdt.begin_node("poweroff")?;
    fdt.property_string("compatible", "syscon-poweroff")?;
    fdt.property_u32("regmap", PHANDLE_TEST)?;
    fdt.property_u32("offset", 0)?;
    fdt.property_u32("value", board::SYSCON_POWEROFF)?;
    fdt.end_node(poweroff)?;
    let reboot = fdt.begin_node("reboot")?;
    fdt.property_string("compatible", "syscon-reboot")?;
    fdt.property_u32("regmap", PHANDLE_TEST)?;
    fdt.property_u32("offset", 0)?;
    fdt.property_u32("value", board::SYSCON_RESET)?;
    fdt.end_node(reboot)?;

    let soc = fdt.begin_node("soc")?;
    fdt.property_u32("#address-cells", 2)?;
    fdt.property_u32("#size-cells", 2)?;
    fdt.property_string("compatible", "simple-bus")?;
    fdt.property_null("ranges")?;

    let test = fdt.begin_node(&format!("test@{:x}", board::SYSCON_BASE))?;
    fdt.property_string_list(
        "compatible",
        vec![
            "sifive,test1".into(),
            "sifive,test0".into(),
            "syscon".into(),
        ],
    )?;
    fdt.property_array_u64("reg", &[board::SYSCON_BASE, 0x1000])?;
    fdt.property_phandle(PHANDLE_TEST)?;
    fdt.end_node(test)?;

    for slot in &config.virtio_slots {
        let base = board::VIRTIO_BASE + board::VIRTIO_STRIDE * *slot as u64;
        let node = fdt.begin_node(&format!("virtio_mmio@{base:x}"))?;
        fdt.property_string("compatible", "virtio,mmio")?;
        fdt.property_array_u64("reg", &[base, board::VIRTIO_STRIDE])?;
        fdt.property_u32("interrupt-parent", PHANDLE_PLIC)?;
        fdt.property_u32("interrupts", board::VIRTIO_IRQ_BASE + *slot as u32)?;
        fdt.end_node(node)?;
    }

    let serial = fdt.begin_node(&format!("serial@{:x}", board::UART_BASE))?;
    fdt.property_string("compatible", "ns16550a")?;
    fdt.property_array_u64("reg", &[board::UART_BASE, 0x100])?;
    fdt.property_u32("clock-frequency", 3_686_400)?;
    fdt.property_u32("interrupt-parent", PHANDLE_PLIC)?;
    fdt.property_u32("interrupts", board::UART_IRQ)?;
    fdt.end_node(serial)?;

    let plic = fdt.begin_node(&format!("plic@{:x}", board::PLIC_BASE))?;
    fdt.property_string_list(
        "compatible",
        vec!["sifive,plic-1.0.0".into(), "riscv,plic0".into()],
    )?;
    fdt.property_array_u64("reg", &[board::PLIC_BASE, crate::plic::SIZE])?;
    fdt.property_u32("#address-cells", 0)?;
    fdt.property_u32("#interrupt-cells", 1)?;
    fdt.property_null("interrupt-controller")?;
    fdt.property_u32("riscv,ndev", crate::plic::NUM_SOURCES as u32)?;
    fdt.property_array_u32(
        "interrupts-extended",
        &[PHANDLE_CPU_INTC, IRQ_M_EXT, PHANDLE_CPU_INTC, IRQ_S_EXT],
    )?;
    fdt.property_phandle(PHANDLE_PLIC)?;
    fdt.end_node(plic)?;

    let clint = fdt.begin_node(&format!("clint@{:x}", board::CLINT_BASE))?;
    fdt.property_string_list(
        "compatible",
        vec!["sifive,clint0".into(), "riscv,clint0".into()],
    )?;
    fdt.property_array_u64("reg", &[board::CLINT_BASE, 0x10000])?;
    fdt.property_array_u32(
        "interrupts-extended",
        &[PHANDLE_CPU_INTC, IRQ_M_SOFT, PHANDLE_CPU_INTC, IRQ_M_TIMER],
    )?;
    fdt.end_node(clint)?;

    fdt.end_node(soc)?;
    fdt.end_node(root)?;
    fdt.finish()
}
