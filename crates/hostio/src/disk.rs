//! A raw disk image file behind virtio-blk.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

use thiserror::Error;
use virtio::DiskBackend;

/// Errors opening a disk image.
#[derive(Debug, Error)]
pub enum DiskError {
    /// The file could not be opened.
    #[error("cannot open disk image {path}: {source}")]
    Open {
        /// The image path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file's size is not a whole number of 512-byte sectors.
    #[error("disk image {path} is {size} bytes, not a multiple of 512")]
    Unaligned {
        /// The image path.
        path: String,
        /// Its size.
        size: u64,
    },
}

/// A raw image file, read-write unless opened read-only.
pub struct FileDisk {
    file: File,
    len: u64,
}

impl FileDisk {
    /// Opens the image at `path`.
    pub fn open(path: &Path, read_only: bool) -> Result<FileDisk, DiskError> {
        let name = path.display().to_string();
        let file = OpenOptions::new()
            .read(true)
            .write(!read_only)
            .open(path)
            .map_err(|source| DiskError::Open {
                path: name.clone(),
                source,
            })?;
        let len = file
            .metadata()
            .map_err(|source| DiskError::Open {
                path: name.clone(),
                source,
            })?
            .len();
        if !len.is_multiple_of(512) {
            return Err(DiskError::Unaligned {
                path: name,
                size: len,
            });
        }
        Ok(FileDisk { file, len })
    }

    /// Makes a writable image of `len` zero bytes at `path` (sparse: no blocks are written),
    /// replacing any file there: where a live transfer writes the disk it receives.
    pub fn create(path: &Path, len: u64) -> Result<FileDisk, DiskError> {
        let name = path.display().to_string();
        if !len.is_multiple_of(512) {
            return Err(DiskError::Unaligned {
                path: name,
                size: len,
            });
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .and_then(|file| file.set_len(len).map(|()| file))
            .map_err(|source| DiskError::Open { path: name, source })?;
        Ok(FileDisk { file, len })
    }
}

impl DiskBackend for FileDisk {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all_at(data, offset)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_reach_the_file_and_reads_see_them() {
        let path = std::env::temp_dir().join(format!("vmft-disk-{}", std::process::id()));
        std::fs::write(&path, vec![0u8; 4096]).unwrap();
        let mut disk = FileDisk::open(&path, false).unwrap();
        assert_eq!(disk.len(), 4096);
        disk.write_at(512, b"data").unwrap();
        disk.flush().unwrap();
        let mut buf = [0u8; 4];
        disk.read_at(512, &mut buf).unwrap();
        assert_eq!(&buf, b"data");
        assert_eq!(&std::fs::read(&path).unwrap()[512..516], b"data");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_created_image_is_zeros_of_its_length_and_replaces_the_file() {
        let path = std::env::temp_dir().join(format!("vmft-disk-new-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 10_000]).unwrap();
        let mut disk = FileDisk::create(&path, 8192).unwrap();
        assert_eq!(disk.len(), 8192);
        let mut buf = vec![1u8; 8192];
        disk.read_at(0, &mut buf).unwrap();
        assert!(buf.iter().all(|&b| b == 0));
        disk.write_at(4096, b"data").unwrap();
        assert_eq!(FileDisk::open(&path, true).unwrap().len(), 8192);
        assert!(FileDisk::create(&path, 1000).is_err());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn an_image_that_is_not_whole_sectors_is_refused() {
        let path = std::env::temp_dir().join(format!("vmft-disk-odd-{}", std::process::id()));
        std::fs::write(&path, vec![0u8; 1000]).unwrap();
        let err = FileDisk::open(&path, false).err().unwrap().to_string();
        assert!(err.contains("not a multiple of 512"), "{err}");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_missing_image_names_the_path() {
        let err = FileDisk::open(Path::new("/nonexistent/disk.img"), false)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("/nonexistent/disk.img"), "{err}");
    }
}
