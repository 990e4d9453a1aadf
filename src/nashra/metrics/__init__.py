"""What Prometheus and Docker ask a Nashra process: `/metrics`, `/healthz` (alive) and `/readyz`
(database reachable, schema at head).

Outcomes (articles, deliveries, posts, job runs) are read from the store at scrape time
(`store.StoreCollector`), so the web app and every worker, on any machine, report the same truth
and never one the store has not recorded. Only what a process alone knows is counted in it
(`process`: how long its jobs took, the feed files it wrote). `probes` answers the three paths
for the web app and for the workers' small listener (`listener`).
"""
