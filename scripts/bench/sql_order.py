"""sparkify's models in transform order, read from the `-- depends: a, b` headers of
the peers' frozen copy of sql/transform/*.sql (peer_sql/, see peer_sql/README.md) with the rule of src/sql/order.rs: start from the models no other model
depends on, in name order, and put each model after its dependencies, in the order its header
lists them. (That is songs, artists, users, songplays, time today.)"""
from pathlib import Path

# The peers' own copy of today's SQL, not sql/: improvements to sparkify's SQL are sparkify's.
SQL = Path(__file__).resolve().parent / "peer_sql"


def depends(text):
    """The models named in the `-- depends:` lines of a file's leading comments."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("--"):
            break
        if line.startswith("-- depends:"):
            out += [d.strip() for d in line[len("-- depends:"):].split(",") if d.strip()]
    return out


def models():
    deps = {p.stem: depends(p.read_text()) for p in sorted((SQL / "transform").glob("*.sql"))}
    depended_on = {d for ds in deps.values() for d in ds}
    order, visiting = [], []

    def visit(model):
        if model in order:
            return
        if model not in deps:
            raise SystemExit(f"sql/transform: unknown dependency {model!r}")
        if model in visiting:
            raise SystemExit(f"sql/transform/{model}.sql: dependency cycle {visiting}")
        visiting.append(model)
        for dep in deps[model]:
            visit(dep)
        visiting.pop()
        order.append(model)

    for model in [m for m in deps if m not in depended_on] + list(deps):
        visit(model)
    return order


if __name__ == "__main__":
    print(" ".join(models()))
