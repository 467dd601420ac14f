#!/bin/bash
# scripts/cluster-cert.sh OUTDIR: makes a cluster's TLS material with openssl, for config/tls.hocon:
#   OUTDIR/ca.pem            the cluster CA's certificate (PEM): what every node and every remote shell trusts
#   OUTDIR/ca.key            the CA's private key: keep it off the nodes; it signs nothing else here
#   OUTDIR/cluster.pfx       the cluster certificate and its key (PKCS#12), signed by the CA, for serverAuth and
#                            clientAuth: every node presents it to the others and on its TCP command API
#   OUTDIR/cluster.password  the .pfx's password (random)
#   OUTDIR/token             the command API's bearer token (random)
# Copy ca.pem, cluster.pfx, cluster.password and token to each node's TROUPE_HOME (where config/tls.hocon looks
# for them), and ca.pem and token to a remote shell's TROUPE_HOME (or point TROUPE_CA and TROUPE_TOKEN at them).
# Running it again with the same OUTDIR refuses to overwrite; a new CA makes a new cluster.
set -euo pipefail
if [[ $# -ne 1 ]]; then echo "usage: $0 OUTDIR" >&2; exit 2; fi
out="$1"
command -v openssl >/dev/null || { echo "error: openssl is not installed" >&2; exit 1; }
if [[ -e "$out/ca.pem" || -e "$out/cluster.pfx" ]]; then echo "error: $out already holds a cluster certificate" >&2; exit 1; fi
mkdir -p "$out"
umask 077
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cn="troupe-cluster-$(openssl rand -hex 4)"

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=$cn CA" \
  -keyout "$out/ca.key" -out "$out/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$cn" -keyout "$work/cluster.key" -out "$work/cluster.csr" 2>/dev/null
cat > "$work/ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=DNS:localhost,IP:127.0.0.1
EXT
openssl x509 -req -sha256 -days 3650 -in "$work/cluster.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
  -CAserial "$work/ca.srl" -extfile "$work/ext" -out "$work/cluster.pem" 2>/dev/null
openssl rand -hex 24 > "$out/cluster.password"
openssl pkcs12 -export -inkey "$work/cluster.key" -in "$work/cluster.pem" -certfile "$out/ca.pem" -name "$cn" \
  -passout "file:$out/cluster.password" -out "$out/cluster.pfx"
openssl rand -hex 32 > "$out/token"
chmod 644 "$out/ca.pem"
echo "made $out/{ca.pem,ca.key,cluster.pfx,cluster.password,token} ($cn)"
