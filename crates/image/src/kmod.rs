//! Choosing kernel modules for the initramfs and ordering them so each loads after what it
//! depends on (the order `depmod` would compute, without needing depmod on the host).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use crate::Error;

/// A module ready to go into the initramfs.
pub struct Module {
    /// Canonical module name (dashes as underscores).
    pub name: String,
    /// Path inside the initramfs, e.g. `lib/modules/virtio_mmio.ko`.
    pub path: String,
    /// Uncompressed module object.
    pub object: Vec<u8>,
}

/// The canonical name of a module file, e.g. `.../virtio-rng.ko.xz` → `virtio_rng`.
pub fn module_name(path: &str) -> Option<String> {
    let file = path.rsplit('/').next()?;
    let stem = file
        .strip_suffix(".ko.xz")
        .or_else(|| file.strip_suffix(".ko"))?;
    Some(stem.replace('-', "_"))
}

/// The `depends=` list of a module's `.modinfo` section.
fn depends_of(object: &[u8]) -> Vec<String> {
    object
        .split(|&b| b == 0)
        .find_map(|field| field.strip_prefix(b"depends="))
        .map(|list| {
            String::from_utf8_lossy(list)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.replace('-', "_"))
                .collect()
        })
        .unwrap_or_default()
}

/// Decompresses `roots` and everything they depend on from `available` (module name → packed
/// object as shipped, `.ko.xz` or `.ko`), returned in load order.
pub fn resolve(
    roots: &[&str],
    available: &BTreeMap<String, (String, Vec<u8>)>,
) -> Result<Vec<Module>, Error> {
    let mut ordered = Vec::new();
    let mut done = BTreeSet::new();
    let mut visiting = BTreeSet::new();
    for root in roots {
        visit(root, available, &mut done, &mut visiting, &mut ordered)?;
    }
    Ok(ordered)
}

fn visit(
    name: &str,
    available: &BTreeMap<String, (String, Vec<u8>)>,
    done: &mut BTreeSet<String>,
    visiting: &mut BTreeSet<String>,
    ordered: &mut Vec<Module>,
) -> Result<(), Error> {
    if done.contains(name) {
        return Ok(());
    }
    if !visiting.insert(name.to_string()) {
        return Err(Error::Modules(format!("dependency cycle through {name}")));
    }
    let (path, packed) = available
        .get(name)
        .ok_or_else(|| Error::Modules(format!("module {name} is not in the kernel package")))?;
    let object = if path.ends_with(".xz") {
        let mut out = Vec::new();
        xz2::read::XzDecoder::new(packed.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| Error::Modules(format!("{path}: {e}")))?;
        out
    } else {
        packed.clone()
    };
    for dep in depends_of(&object) {
        visit(&dep, available, done, visiting, ordered)?;
    }
    visiting.remove(name);
    done.insert(name.to_string());
    ordered.push(Module {
        name: name.to_string(),
        path: format!("lib/modules/{name}.ko"),
        object,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(depends: &str) -> Vec<u8> {
        format!("\0license=GPL\0depends={depends}\0name=x\0").into_bytes()
    }

    #[test]
    fn module_names_use_underscores_and_drop_the_suffix() {
        assert_eq!(
            module_name("a/b/virtio-rng.ko.xz").as_deref(),
            Some("virtio_rng")
        );
        assert_eq!(module_name("a/b/ext4.ko").as_deref(), Some("ext4"));
        assert_eq!(module_name("a/b/readme.txt"), None);
    }

    #[test]
    fn dependencies_load_before_their_users() {
        let mut avail = BTreeMap::new();
        avail.insert(
            "virtio_net".to_string(),
            ("virtio_net.ko".to_string(), fake("net_failover")),
        );
        avail.insert(
            "net_failover".to_string(),
            ("net_failover.ko".to_string(), fake("failover")),
        );
        avail.insert(
            "failover".to_string(),
            ("failover.ko".to_string(), fake("")),
        );
        let order: Vec<String> = resolve(&["virtio_net"], &avail)
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(order, ["failover", "net_failover", "virtio_net"]);
    }

    #[test]
    fn a_missing_dependency_is_an_error() {
        let mut avail = BTreeMap::new();
        avail.insert("a".to_string(), ("a.ko".to_string(), fake("b")));
        assert!(matches!(resolve(&["a"], &avail), Err(Error::Modules(_))));
    }
}
