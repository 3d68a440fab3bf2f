-- wrk: GET with the bearer token in $ZHISHEN_TOKEN (bench/server_bench.sh).
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ZHISHEN_TOKEN")
