//! The `file_pipeline` example's core, run on a small tree: every regular file found once (a
//! symbolic link to a directory is not followed), hashes equal to a one-shot hash of the
//! contents, progress reported up to the total.

mod common;

#[allow(dead_code, unreachable_pub, missing_docs)]
#[path = "../examples/file_pipeline.rs"]
mod pipeline;

use std::path::PathBuf;

#[test]
fn hashes_every_file_of_a_tree() {
    common::guard("hashes_every_file_of_a_tree", || {
        let root = std::env::temp_dir().join(format!("filch-pipeline-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut expected = Vec::new();
        for (i, sub) in ["", "a", "a/b", "c"].iter().enumerate() {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).unwrap();
            for j in 0..10 {
                let path = dir.join(format!("f{j}"));
                let data: Vec<u8> = (0..(i * 70_000 + j * 13))
                    .map(|k| (k * 7 + j) as u8)
                    .collect();
                std::fs::write(&path, &data).unwrap();
                expected.push((
                    path,
                    data.len() as u64,
                    pipeline::fnv1a(pipeline::FNV_START, &data),
                ));
            }
        }
        std::os::unix::fs::symlink(root.join("a"), root.join("link")).unwrap();
        expected.sort();

        let rt = filch::runtime::Runtime::new().unwrap();
        let mut calls = Vec::new();
        let (hashed, errors) = rt
            .block_on(pipeline::hash_tree(&root, 3, |done, total, _| {
                calls.push((done, total))
            }))
            .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let got: Vec<(PathBuf, u64, u64)> = hashed
            .into_iter()
            .map(|h| (h.path, h.size, h.hash))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(calls.last(), Some(&(40, 40)));
        assert!(calls.windows(2).all(|w| w[0].0 < w[1].0));
        std::fs::remove_dir_all(&root).unwrap();
    });
}
