# Varnish (7.x) in front of ocsp-lookupd, honouring the publisher's purges:
#   ocsp-publisher --purge http://127.0.0.1:6081 --purge-base http://ocsp.example.com/ocsp
# sends "PURGE /ocsp/<GET key>" with "Host: ocsp.example.com" for every GET
# URL of a certificate whose status changed; with purge_method = ban it
# sends "BAN /" with "X-Purge-Tag: ocsp-<issuer key hash>-<SERIAL>", which
# bans the objects lookupd tagged so (lookupd: cache_tags = cache-tag).
# Only the hosts in acl purgers may purge. POST answers are never cached.
vcl 4.1;

backend lookupd {
    .host = "127.0.0.1";
    .port = "8080";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        return (purge);
    }
    if (req.method == "BAN") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        # Tags are lowercase hex, '-' and uppercase hex: refuse anything
        # else rather than put it into a ban expression.
        if (req.http.X-Purge-Tag !~ "^ocsp-[0-9a-f]+(-[0-9A-F]+)?$") {
            return (synth(400, "X-Purge-Tag missing or malformed"));
        }
        ban("obj.http.Cache-Tag ~ (^|,)" + req.http.X-Purge-Tag + "(,|$)");
        return (synth(200, "Banned"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # OCSP GETs carry no cookies or credentials worth varying on.
    unset req.http.Cookie;
    return (hash);
}
