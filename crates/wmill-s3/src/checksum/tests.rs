use super::*;

#[test]
fn digests_and_stored_values() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let mut h = Hasher::default();
    h.update(b"a");
    h.update(b"bc");
    assert_eq!(h.hex(), sha256_hex(b"abc"));
    let attrs = with_checksum(Attributes::new(), &sha256_hex(b"abc"));
    assert_eq!(stored(&attrs), Some(sha256_hex(b"abc")));
    let bad = with_checksum(Attributes::new(), "not-a-digest");
    assert_eq!(stored(&bad), None);
    assert_eq!(stored(&Attributes::new()), None);
}
