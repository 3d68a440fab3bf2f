//! RFC 6962 / RFC 9162 Merkle tree over SHA-256: leaf hash `H(0x00 || d)`, node hash
//! `H(0x01 || l || r)`, with inclusion and consistency proofs.
//!
//! Functions take leaf *hashes* (`[u8; 32]` from [`leaf_hash`]) so a log can keep only those.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Root of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Leaf hash of an entry: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Largest power of two strictly below `n` (n >= 2).
fn split(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// Merkle tree hash of the given leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    let mut f = Frontier::new();
    for l in leaves {
        f.push(*l);
    }
    f.root()
}

/// Incremental root computation: push leaf hashes in order, read the root of any prefix.
/// Keeps one perfect subtree root per set bit of the size (O(log n) memory).
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    stack: Vec<(Hash, u32)>,
    size: u64,
}

impl Frontier {
    pub fn new() -> Frontier {
        Frontier::default()
    }

    /// Number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut height = 0;
        while let Some(&(top, th)) = self.stack.last() {
            if th != height {
                break;
            }
            h = node_hash(&top, &h);
            self.stack.pop();
            height += 1;
        }
        self.stack.push((h, height));
        self.size += 1;
    }

    /// Root of the leaves pushed so far. The left subtrees of an RFC 6962 tree are the
    /// perfect subtrees kept on the stack, so folding them from the right gives the root.
    pub fn root(&self) -> Hash {
        let mut it = self.stack.iter().rev();
        let Some(&(mut r, _)) = it.next() else {
            return EMPTY_ROOT;
        };
        for (h, _) in it {
            r = node_hash(h, &r);
        }
        r
    }
}

/// Audit path for leaf `index` in the tree of `leaves` (RFC 6962 §2.1.1), bottom-up.
/// `None` when `index` is out of range.
pub fn inclusion_proof(index: u64, leaves: &[Hash]) -> Option<Vec<Hash>> {
    let m = usize::try_from(index).ok()?;
    if m >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    path(m, leaves, &mut out);
    Some(out)
}

fn path(m: usize, d: &[Hash], out: &mut Vec<Hash>) {
    let n = d.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path(m, &d[..k], out);
        out.push(root(&d[k..]));
    } else {
        path(m - k, &d[k..], out);
        out.push(root(&d[..k]));
    }
}

/// Checks an inclusion proof (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// Consistency proof that the first `old_size` leaves are a prefix of `leaves`
/// (RFC 6962 §2.1.2). Empty for `old_size` 0 or equal sizes; `None` if `old_size` is too big.
pub fn consistency_proof(old_size: u64, leaves: &[Hash]) -> Option<Vec<Hash>> {
    let m = usize::try_from(old_size).ok()?;
    if m > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    if m > 0 && m < leaves.len() {
        subproof(m, leaves, true, &mut out);
    }
    Some(out)
}

fn subproof(m: usize, d: &[Hash], b: bool, out: &mut Vec<Hash>) {
    let n = d.len();
    if m == n {
        if !b {
            out.push(root(d));
        }
        return;
    }
    let k = split(n);
    if m <= k {
        subproof(m, &d[..k], b, out);
        out.push(root(&d[k..]));
    } else {
        subproof(m - k, &d[k..], false, out);
        out.push(root(&d[..k]));
    }
}

/// Checks a consistency proof between two tree heads (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        // Every tree extends the empty tree.
        return proof.is_empty() && *old_root == EMPTY_ROOT;
    }
    if proof.is_empty() {
        return false;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *old_root && sr == *new_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{hex, unhex};
    use proptest::prelude::*;

    // RFC 6962 reference leaves from the certificate-transparency test suite.
    const LEAVES: [&str; 8] = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ];
    const ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn leaves() -> Vec<Hash> {
        LEAVES
            .iter()
            .map(|h| leaf_hash(&unhex(h).unwrap()))
            .collect()
    }

    fn hx(v: &[Hash]) -> Vec<String> {
        v.iter().map(|h| hex(h)).collect()
    }

    #[test]
    fn empty_root() {
        assert_eq!(
            hex(&root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn rfc6962_roots() {
        let l = leaves();
        for (n, want) in ROOTS.iter().enumerate() {
            assert_eq!(hex(&root(&l[..n + 1])), *want, "size {}", n + 1);
        }
    }

    #[test]
    fn rfc6962_inclusion_vectors() {
        let l = leaves();
        assert_eq!(
            hx(&inclusion_proof(0, &l).unwrap()),
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert!(inclusion_proof(8, &l).is_none());
        assert!(inclusion_proof(0, &l[..1]).unwrap().is_empty());
    }

    #[test]
    fn rfc6962_consistency_vectors() {
        let l = leaves();
        assert_eq!(
            hx(&consistency_proof(1, &l).unwrap()),
            [
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ]
        );
        assert_eq!(
            hx(&consistency_proof(6, &l).unwrap()),
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
        assert_eq!(
            hx(&consistency_proof(2, &l[..5]).unwrap()),
            [
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ]
        );
        assert!(consistency_proof(9, &l).is_none());
    }

    #[test]
    fn frontier_matches_prefix_roots() {
        let l = leaves();
        let mut f = Frontier::new();
        assert_eq!(f.root(), EMPTY_ROOT);
        for (i, x) in l.iter().enumerate() {
            f.push(*x);
            assert_eq!(hex(&f.root()), ROOTS[i]);
            assert_eq!(f.size(), i as u64 + 1);
        }
    }

    fn synthetic(n: usize) -> Vec<Hash> {
        (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn all_inclusion_and_consistency_proofs_up_to_64() {
        let all = synthetic(64);
        for n in 1..=64usize {
            let l = &all[..n];
            let r = root(l);
            for i in 0..n as u64 {
                let p = inclusion_proof(i, l).unwrap();
                assert!(
                    verify_inclusion(i, n as u64, &l[i as usize], &p, &r),
                    "n={n} i={i}"
                );
                // Wrong leaf, wrong index, wrong size, truncated or extended proof: rejected.
                assert!(!verify_inclusion(i, n as u64, &leaf_hash(b"x"), &p, &r));
                if n > 1 {
                    assert!(!verify_inclusion(
                        (i + 1) % n as u64,
                        n as u64,
                        &l[i as usize],
                        &p,
                        &r
                    ));
                    assert!(!verify_inclusion(
                        i,
                        n as u64,
                        &l[i as usize],
                        &p[..p.len() - 1],
                        &r
                    ));
                }
                let mut longer = p.clone();
                longer.push(r);
                assert!(!verify_inclusion(i, n as u64, &l[i as usize], &longer, &r));
            }
            for m in 0..=n {
                let p = consistency_proof(m as u64, l).unwrap();
                let old = root(&l[..m]);
                assert!(
                    verify_consistency(m as u64, n as u64, &old, &r, &p),
                    "m={m} n={n}"
                );
                if m > 0 && m < n {
                    // A different old root (history rewritten) is rejected.
                    let mut other = l[..m].to_vec();
                    other[0] = leaf_hash(b"rewritten");
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &root(&other),
                        &r,
                        &p
                    ));
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &old,
                        &leaf_hash(b"x"),
                        &p
                    ));
                    assert!(!verify_consistency(
                        m as u64,
                        n as u64,
                        &old,
                        &r,
                        &p[..p.len() - 1]
                    ));
                }
            }
        }
    }

    proptest! {
        // Flipping any bit of any proof element makes verification fail.
        #[test]
        fn tampered_proofs_rejected(n in 1usize..=64, i in 0usize..64, m in 1usize..=64, pick in 0usize..64, bit in 0u8..8, byte in 0usize..32) {
            let l = synthetic(n);
            let r = root(&l);
            let i = i % n;
            let mut p = inclusion_proof(i as u64, &l).unwrap();
            prop_assert!(verify_inclusion(i as u64, n as u64, &l[i], &p, &r));
            if !p.is_empty() {
                let k = pick % p.len();
                p[k][byte] ^= 1 << bit;
                prop_assert!(!verify_inclusion(i as u64, n as u64, &l[i], &p, &r));
            }
            let m = m % n + 1; // 1..=n
            let old = root(&l[..m]);
            let mut c = consistency_proof(m as u64, &l).unwrap();
            prop_assert!(verify_consistency(m as u64, n as u64, &old, &r, &c));
            if !c.is_empty() {
                let k = pick % c.len();
                c[k][byte] ^= 1 << bit;
                prop_assert!(!verify_consistency(m as u64, n as u64, &old, &r, &c));
            }
        }
    }
}
