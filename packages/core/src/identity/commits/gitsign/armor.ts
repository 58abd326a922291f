// The armor line of a gitsign (x509 CMS) commit signature, apart from the verifier so that telling
// a signature's format does not load CMS parsing (pkijs), which is imported only for x509 commits.
export const X509_SIGNATURE_ARMOR = '-----BEGIN SIGNED MESSAGE-----';
