//! Reading the files inside a Debian package (`.deb`: an ar archive holding `data.tar.xz`).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::Error;

/// One regular file or symbolic link unpacked from a package's data archive.
pub struct DebFile {
    /// Path inside the package, without the leading `./`.
    pub path: String,
    /// Permission bits.
    pub mode: u32,
    /// File contents, or `None` for a symbolic link.
    pub data: Option<Vec<u8>>,
    /// Symbolic link target.
    pub link: Option<String>,
}

/// Unpacks the files of `deb` whose paths `wanted` accepts.
pub fn extract(deb: &Path, wanted: impl Fn(&str) -> bool) -> Result<Vec<DebFile>, Error> {
    let bad = |why: String| Error::BadPackage(deb.to_path_buf(), why);
    let file = File::open(deb).map_err(|e| Error::io(deb, e))?;
    let mut archive = ar::Archive::new(file);
    while let Some(member) = archive.next_entry() {
        let member = member.map_err(|e| bad(e.to_string()))?;
        let name = String::from_utf8_lossy(member.header().identifier()).to_string();
        if !name.starts_with("data.tar") {
            continue;
        }
        if name != "data.tar.xz" {
            return Err(bad(format!("unsupported data member {name}")));
        }
        let mut tar = tar::Archive::new(xz2::read::XzDecoder::new(member));
        let mut files = Vec::new();
        for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
            let mut entry = entry.map_err(|e| bad(e.to_string()))?;
            let path = entry.path().map_err(|e| bad(e.to_string()))?;
            let path = path.to_string_lossy().trim_start_matches("./").to_string();
            if !wanted(&path) {
                continue;
            }
            let mode = entry.header().mode().map_err(|e| bad(e.to_string()))?;
            let kind = entry.header().entry_type();
            if kind.is_symlink() {
                let target = entry.link_name().map_err(|e| bad(e.to_string()))?;
                let link = target.map(|t| t.to_string_lossy().to_string());
                files.push(DebFile {
                    path,
                    mode,
                    data: None,
                    link,
                });
            } else if kind.is_file() {
                let mut data = Vec::new();
                entry
                    .read_to_end(&mut data)
                    .map_err(|e| bad(e.to_string()))?;
                files.push(DebFile {
                    path,
                    mode,
                    data: Some(data),
                    link: None,
                });
            }
        }
        return Ok(files);
    }
    Err(bad("no data.tar member".into()))
}
