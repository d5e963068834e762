#!/usr/bin/env python3
"""The benchmark's status sources, generated in one pass (seconds for a
million certificates, no openssl ca, which signs each one):

    source_data.py N DIR OPENXPKI_IDENT EJBCA_DN

writes, for N certificates of which one in ten is revoked with a reason:
  DIR/index.txt     openssl ca index lines (the CRL is made from it by
                    openssl ca -gencrl, which reads only the index)
  DIR/issued.txt    the issued serials, hex, one a line
  DIR/openxpki.csv  OpenXPKI's certificate columns (cert_key decimal,
                    empty fields for NULL): cert_key, issuer_identifier,
                    status, reason_code, revocation_time, invalidity_time,
                    hold_instruction_code, notafter
  DIR/ejbca.csv     EJBCA's CertificateData columns: fingerprint, issuerDN,
                    serialNumber (decimal), status, revocationDate,
                    revocationReason, expireDate (milliseconds, -1 for none)

Serials are 16 octets as CAs make them (a fixed random-looking high part,
so that they are distinct and sorted in the order written, plus the
index), the first octet below 0x80 so that none is negative.
"""
import sys
import time

# openssl ca's reason names (index and -gencrl), their RFC 5280 codes.
REASONS = [("keyCompromise", 1), ("CACompromise", 2), ("affiliationChanged", 3),
           ("superseded", 4), ("cessationOfOperation", 5)]
NOT_AFTER = 2082758400          # 2036-01-01T00:00:00Z
NOT_AFTER_INDEX = "351231000000Z"   # what openssl ca writes for about that


def main():
    n, out, ident, dn = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    base = 0x5A17C0DE << 96
    revoked_at = int(time.time()) - 86400
    rt = time.strftime("%y%m%d%H%M%SZ", time.gmtime(revoked_at))
    # Fields are written as they are: none holds a comma or a quote, but
    # the DN might, so it is quoted once as CSV quotes.
    qdn = '"%s"' % dn.replace('"', '""') if any(c in dn for c in ',"\n') else dn
    with open(out + "/index.txt", "w") as ix, open(out + "/issued.txt", "w") as iss, \
            open(out + "/openxpki.csv", "w") as ox, open(out + "/ejbca.csv", "w") as ej:
        for i in range(n):
            s = base + i
            h = "%032X" % s
            iss.write(h + "\n")
            if i % 10 == 0:
                name, code = REASONS[(i // 10) % len(REASONS)]
                ix.write(f"R\t{NOT_AFTER_INDEX}\t{rt},{name}\t{h}\tunknown\t/CN=bulk{i}\n")
                ox.write(f"{s},{ident},REVOKED,{name},{revoked_at},,,{NOT_AFTER}\n")
                ej.write(f"fp{i},{qdn},{s},40,{revoked_at * 1000},{code},{NOT_AFTER * 1000}\n")
            else:
                ix.write(f"V\t{NOT_AFTER_INDEX}\t\t{h}\tunknown\t/CN=bulk{i}\n")
                ox.write(f"{s},{ident},ISSUED,,,,,{NOT_AFTER}\n")
                ej.write(f"fp{i},{qdn},{s},20,-1,-1,{NOT_AFTER * 1000}\n")

main()
