package secret

import (
	"strings"
	"testing"
)

func TestEncryptRoundTripAndBinding(t *testing.T) {
	k, err := New([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := k.Encrypt("130102199001011234", "residents.id_number:1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ct, "1990") {
		t.Fatalf("ciphertext leaks plaintext: %s", ct)
	}
	if !strings.HasPrefix(ct, "v1."+k.ID()+".") {
		t.Fatalf("ciphertext %q lacks key id", ct)
	}
	pt, err := k.Decrypt(ct, "residents.id_number:1")
	if err != nil || pt != "130102199001011234" {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	if _, err := k.Decrypt(ct, "residents.id_number:2"); err == nil {
		t.Fatal("ciphertext moved to another row still decrypts")
	}
	ct2, _ := k.Encrypt("130102199001011234", "residents.id_number:1")
	if ct2 == ct {
		t.Fatal("two encryptions of one value are equal: nonce reuse")
	}
}

func TestRotationAndFingerprint(t *testing.T) {
	oldKey := []byte(strings.Repeat("o", 40))
	old, _ := New(oldKey)
	ct, _ := old.Encrypt("13800138000", "phone")
	cur, _ := New([]byte(strings.Repeat("n", 40)))
	if cur.Fingerprint() == old.Fingerprint() || cur.ID() == old.ID() {
		t.Fatal("different keys share a fingerprint")
	}
	if _, err := cur.Decrypt(ct, "phone"); err == nil {
		t.Fatal("new key decrypts old ciphertext without the old key")
	}
	if err := cur.Retire(oldKey); err != nil {
		t.Fatal(err)
	}
	if pt, err := cur.Decrypt(ct, "phone"); err != nil || pt != "13800138000" {
		t.Fatalf("after Retire: %q, %v", pt, err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestBlindIndexAndMAC(t *testing.T) {
	k, _ := New([]byte(strings.Repeat("x", 32)))
	if k.BlindIndex("phone", "138") != k.BlindIndex("phone", "138") {
		t.Fatal("blind index not deterministic")
	}
	if k.BlindIndex("phone", "138") == k.BlindIndex("id", "138") {
		t.Fatal("blind index domains collide")
	}
	m := k.MAC("activity:7")
	if !k.VerifyMAC("activity:7", m) || k.VerifyMAC("activity:8", m) {
		t.Fatal("MAC verification wrong")
	}
}
