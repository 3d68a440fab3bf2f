//! An IFC file's bytes, mapped rather than read.
//!
//! Why: reading copied the whole file into fresh memory, and the page faults of that
//! copy were most of the 25–30 ms a 30 MB file took to read before the scan began (a
//! tenth of the load). Mapped, the scan reads the system's cached pages directly.
//!
//! The one caveat of mapping: the bytes are the file's as long as nobody changes it.
//! Another process that rewrites the file during a load makes the load read a mix
//! (which the scan most likely refuses as malformed), and one that truncates it ends
//! the process with SIGBUS. Neither is silent as a wrong verdict: the review of a
//! submitted model runs on the service's stored blobs, which are written once under
//! their hash and never changed. A file that cannot be mapped (empty, a pipe, a
//! special file) is read as before.
//!
//! This is the crate's one module with `unsafe` (the workspace denies it elsewhere).
#![allow(unsafe_code)]

use std::fs::File;
use std::ops::Deref;
use std::path::Path;

/// A file's bytes: mapped, or read when mapping is not possible.
pub enum FileBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Mapped(m) => m,
            FileBytes::Read(v) => v,
        }
    }
}

/// The bytes of the file at `path`.
pub fn read(path: &Path) -> std::io::Result<FileBytes> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the map is private and read-only, and only read through the
        // returned value, which owns it. The file's contents may still change under
        // it if another process writes the file (see the module header): that makes
        // the bytes wrong or faults, but it cannot break Rust's aliasing rules for
        // memory this process writes, since this process never writes it.
        if let Ok(m) = unsafe { memmap2::MmapOptions::new().map(&file) } {
            return Ok(FileBytes::Mapped(m));
        }
    }
    std::fs::read(path).map(FileBytes::Read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mapped_file_has_the_read_bytes_and_others_are_read() {
        let dir = std::env::temp_dir().join(format!("zhishen-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.ifc");
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let got = read(&path).unwrap();
        assert!(matches!(got, FileBytes::Mapped(_)));
        assert_eq!(&*got, &bytes[..]);
        // An empty file cannot be mapped; it is read (and is empty).
        let empty = dir.join("empty.ifc");
        std::fs::write(&empty, b"").unwrap();
        let got = read(&empty).unwrap();
        assert!(matches!(got, FileBytes::Read(ref v) if v.is_empty()));
        // A special file is read.
        assert!(matches!(
            read(Path::new("/dev/null")).unwrap(),
            FileBytes::Read(_)
        ));
        // A missing file is the system's error.
        assert!(read(&dir.join("missing.ifc")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
