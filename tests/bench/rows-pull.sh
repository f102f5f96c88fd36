# rows-pull.sh: sgp-pull over loopback against curl fetching the same pages.
# The first 100,000 records of gen-vendor's Stripe-like invoices ($V) are cut
# into static JSON pages of 1,000 records, each naming the next page
# ("next_url" pagination), served by Debian's nginx on a free loopback port
# from a generated nginx.conf; nginx is started here and stopped at the end.
# "curl (fetch only)" is the floor: one curl process fetching every page over
# one kept-alive connection and throwing the bytes away.  sgp-pull must reach
# at least half its rate.  Without nginx the rows are skipped with a note.
# shellcheck shell=bash

pull_rows() {
	local nginx dir port n pages bytes per=1000 limit=100000 conf pidf
	nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; })
	if [ -z "$nginx" ]; then
		echo "bench: pull rows skipped: nginx is not installed (make deps-dev)" >&2
		return 0
	fi
	if [ -n "$ONLY" ] && [[ ! "pull sgp-pull curl" =~ $ONLY ]]; then return 0; fi
	# nginx's workers run as another user: a directory they may read
	dir=$(mktemp -d /tmp/sgp-bench-pull.XXXXXX) || return 0
	chmod 755 "$dir"
	mkdir -p "$dir/www/p" "$dir/logs" "$dir/tmp" "$dir/profiles"
	n=$NV
	[ "$n" -gt "$limit" ] && n=$limit
	pages=$(( (n + per - 1) / per ))
	# A free port: ask the kernel for one, then hand it to nginx.
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null) ||
		port=$((20000 + RANDOM % 20000))
	head -n "$n" "$V" | awk -v per="$per" -v pages="$pages" -v dir="$dir/www/p" '
		function name(k) { return sprintf("%s/%05d.json", dir, k) }
		{
			k = int((NR - 1) / per) + 1
			if ((NR - 1) % per == 0) {
				if (k > 1) close(name(k - 1))
				printf "{\"object\":\"list\",\"data\":[%s", $0 > name(k)
			} else {
				printf ",%s", $0 > name(k)
			}
			if (NR % per == 0 || NR == total) {
				if (k < pages) printf "],\"has_more\":true,\"next\":\"/p/%05d.json\"}\n", k + 1 > name(k)
				else printf "],\"has_more\":false,\"next\":null}\n", k > name(k)
			}
		}' total="$n"
	bytes=$(cat "$dir"/www/p/*.json | wc -c)
	conf=$dir/nginx.conf
	pidf=$dir/nginx.pid
	cat >"$conf" <<EOF
worker_processes 1;
pid $pidf;
error_log $dir/logs/error.log warn;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	keepalive_timeout 60s;
	default_type application/json;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $dir/www;
	}
}
EOF
	if ! "$nginx" -c "$conf" -p "$dir" 2>"$dir/logs/start.err"; then
		echo "bench: pull rows skipped: nginx did not start: $(head -n 1 "$dir/logs/start.err")" >&2
		rm -rf "$dir"
		return 0
	fi
	for _ in $(seq 50); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/p/00001.json" && break
		sleep 0.1
	done
	cat >"$dir/profiles/bench.json" <<EOF
{"name": "bench", "system": "stripe", "base_url": "http://127.0.0.1:$port",
 "auth": {"type": "none"},
 "streams": {"invoices": {"object": "invoice", "path": "/p/00001.json", "records": "/data",
   "id": "/id", "revision": "/created", "occurred_at": "/created",
   "pagination": {"style": "next_url", "next": "/next", "has_more": "/has_more"}}}}
EOF
	bench_row pull "sgp-pull" "pull $pages pages of $per over loopback" "$n" "$bytes" -- \
		sgp-pull -q -p "$dir/profiles/bench.json" invoices
	bench_row pull "curl (fetch only)" "fetch $pages pages, one connection" "$n" "$bytes" -- \
		curl -sf "http://127.0.0.1:$port/p/[00001-$(printf %05d "$pages")].json"
	kill "$(cat "$pidf")" 2>/dev/null
	for _ in $(seq 50); do
		[ -e "$pidf" ] || break
		sleep 0.1
	done
	rm -rf "$dir"
}

pull_rows
