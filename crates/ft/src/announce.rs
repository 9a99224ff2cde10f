//! Announcing the guest's MAC address after go-live, so that the network's switches deliver
//! its frames to the new primary's host: a gratuitous ARP for every IPv4 address the guest
//! was seen using, and a RARP broadcast as QEMU's `announce-self` sends (which needs no
//! address at all).

use std::collections::BTreeSet;

/// Ethernet broadcast address.
const BROADCAST: [u8; 6] = [0xff; 6];
/// EtherType of ARP.
const ETHERTYPE_ARP: u16 = 0x0806;
/// EtherType of IPv4.
const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of RARP.
const ETHERTYPE_RARP: u16 = 0x8035;
/// ARP operation: request (a gratuitous ARP is a request for one's own address).
const ARP_REQUEST: u16 = 1;
/// RARP operation: reverse request.
const RARP_REQUEST: u16 = 3;
/// Shortest Ethernet frame without its checksum; shorter frames are padded.
const MIN_FRAME: usize = 60;
/// Bytes of an Ethernet header.
const ETHERNET_HEADER: usize = 14;

/// The IPv4 addresses a guest with a given MAC uses, learned from the frames it transmits.
#[derive(Clone, Debug)]
pub struct GuestAddresses {
    mac: [u8; 6],
    ipv4: BTreeSet<[u8; 4]>,
}

impl GuestAddresses {
    /// Learns the addresses of the guest whose MAC is `mac`.
    pub fn new(mac: [u8; 6]) -> GuestAddresses {
        GuestAddresses {
            mac,
            ipv4: BTreeSet::new(),
        }
    }

    /// Learns from a frame the guest transmitted: the sender address of its ARP packets and
    /// the source address of its IPv4 packets. Frames from other MACs, and the unspecified
    /// address (DHCP, ARP probes), teach nothing.
    pub fn observe(&mut self, frame: &[u8]) {
        if frame.get(6..12) != Some(&self.mac[..]) {
            return;
        }
        let Some(ethertype) = frame.get(12..14) else {
            return;
        };
        let offset = match u16::from_be_bytes([ethertype[0], ethertype[1]]) {
            // ARP: sender protocol address after htype, ptype, hlen, plen, op and the sender MAC.
            ETHERTYPE_ARP => ETHERNET_HEADER + 14,
            // IPv4: the source address, 12 bytes into the header.
            ETHERTYPE_IPV4 => ETHERNET_HEADER + 12,
            _ => return,
        };
        if let Some(address) = frame.get(offset..offset + 4) {
            let address = [address[0], address[1], address[2], address[3]];
            if address != [0; 4] {
                self.ipv4.insert(address);
            }
        }
    }

    /// One round of announcements: a RARP broadcast, then a gratuitous ARP per address.
    pub fn announcements(&self) -> Vec<Vec<u8>> {
        std::iter::once(arp_frame(ETHERTYPE_RARP, RARP_REQUEST, self.mac, [0; 4]))
            .chain(
                self.ipv4
                    .iter()
                    .map(|ip| arp_frame(ETHERTYPE_ARP, ARP_REQUEST, self.mac, *ip)),
            )
            .collect()
    }
}

/// A broadcast ARP-format frame from `mac`: for ARP a gratuitous request (sender and target
/// address both `ip`, target MAC zero), for RARP a reverse request for `mac` itself.
fn arp_frame(ethertype: u16, operation: u16, mac: [u8; 6], ip: [u8; 4]) -> Vec<u8> {
    let target_mac = if ethertype == ETHERTYPE_RARP {
        mac
    } else {
        [0; 6]
    };
    let mut frame = Vec::with_capacity(MIN_FRAME);
    frame.extend_from_slice(&BROADCAST);
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(&1u16.to_be_bytes()); // hardware: Ethernet
    frame.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes()); // protocol: IPv4
    frame.extend_from_slice(&[6, 4]); // address lengths
    frame.extend_from_slice(&operation.to_be_bytes());
    frame.extend_from_slice(&mac);
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&target_mac);
    frame.extend_from_slice(&ip);
    frame.resize(MIN_FRAME, 0);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

    fn ethernet(src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0xaa; 6];
        f.extend_from_slice(&src);
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn learns_ipv4_sources_and_arp_senders_of_the_guest_only() {
        let mut seen = GuestAddresses::new(MAC);
        let mut ipv4 = vec![0x45; 20];
        ipv4[12..16].copy_from_slice(&[10, 0, 2, 15]);
        seen.observe(&ethernet(MAC, ETHERTYPE_IPV4, &ipv4));
        let mut arp = vec![0; 28];
        arp[14..18].copy_from_slice(&[192, 168, 7, 7]);
        seen.observe(&ethernet(MAC, ETHERTYPE_ARP, &arp));
        // Another host's frame, a probe from 0.0.0.0 and a truncated frame teach nothing.
        seen.observe(&ethernet([2; 6], ETHERTYPE_IPV4, &ipv4));
        seen.observe(&ethernet(MAC, ETHERTYPE_ARP, &[0; 28]));
        seen.observe(&ethernet(MAC, ETHERTYPE_IPV4, &[0x45; 10]));
        seen.observe(&MAC);
        assert_eq!(
            seen.ipv4.iter().copied().collect::<Vec<_>>(),
            [[10, 0, 2, 15], [192, 168, 7, 7]]
        );
    }

    #[test]
    fn announcements_are_a_rarp_and_a_gratuitous_arp_per_address() {
        let mut seen = GuestAddresses::new(MAC);
        let mut ipv4 = vec![0x45; 20];
        ipv4[12..16].copy_from_slice(&[10, 0, 2, 15]);
        seen.observe(&ethernet(MAC, ETHERTYPE_IPV4, &ipv4));
        let frames = seen.announcements();
        assert_eq!(frames.len(), 2);
        for frame in &frames {
            assert_eq!(frame.len(), MIN_FRAME);
            assert_eq!(frame[..6], BROADCAST, "broadcast, so every switch learns");
            assert_eq!(frame[6..12], MAC);
        }
        let rarp = &frames[0];
        assert_eq!(rarp[12..14], ETHERTYPE_RARP.to_be_bytes());
        assert_eq!(rarp[20..22], RARP_REQUEST.to_be_bytes());
        assert_eq!(
            rarp[32..38],
            MAC,
            "a reverse request for the guest's own MAC"
        );
        let garp = &frames[1];
        assert_eq!(garp[12..14], ETHERTYPE_ARP.to_be_bytes());
        assert_eq!(garp[20..22], ARP_REQUEST.to_be_bytes());
        assert_eq!(garp[22..28], MAC);
        assert_eq!(garp[28..32], [10, 0, 2, 15], "sender address");
        assert_eq!(garp[38..42], [10, 0, 2, 15], "target address: the same");
    }
}
