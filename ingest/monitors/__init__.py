"""Run monitoring: what each run extracted (figures), how that compares with the site's own
recent runs (findings), and where it is reported (Spidermon actions: e-mail, webhook, file,
Prometheus metrics).

- `figures`: per-article figures accumulated during a run (pure, no Scrapy).
- `checks`: findings from a run's figures against the site's history (pure).
- `history`: the runs collection: past figures in, this run's report out.
- `extension`: the Spidermon extension collecting the figures and running the suites.
- `suites`, `actions`, `metrics`: Spidermon monitors and actions.
"""
