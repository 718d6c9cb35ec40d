"""Fragment-heavy GraphQL documents: the bombs of the security tests, and a hypothesis strategy
that generates many more of their kind for `make fuzz` (deep fragment chains, many spreads per
level, spreads under aliases and inline fragments, fragments on interfaces and on Query)."""

from __future__ import annotations

from hypothesis import strategies as st

COMPANY_LEAVES = ("name", "slug", "website", "legalForm", "foundedYear", "__typename", "id")
COMPANY_LINKS = (
    "networks(first: 2) { nodes { %s } }",
    "spaces(first: 2) { nodes { __typename } }",
    "events(first: 2) { nodes { title } }",
    "address { street }",
)


def chain(
    n: int,
    body: str,
    *,
    on: str = "Company",
    leaf: str = "name",
    operation: str = "{ companies(first: 1) { nodes { ...F0 } } }",
) -> str:
    """`operation` and fragments F0..Fn on `on`: Fi's body is `body` with `%N` for F(i+1)."""
    parts = [operation]
    parts += [f"fragment F{i} on {on} {{ {body.replace('%N', f'F{i + 1}')} }}" for i in range(n)]
    parts.append(f"fragment F{n} on {on} {{ {leaf} }}")
    return "\n".join(parts)


BOMBS: dict[str, str] = {
    # the finding: 2^30 expansions of `name` from a 1.3 KB document
    "two spreads per level": chain(30, "...%N ...%N"),
    "four spreads per level": chain(15, "...%N ...%N ...%N ...%N"),
    "spreads beside aliases": chain(30, "n%N: name ...%N ...%N"),
    "spreads in inline fragments": chain(30, "... on Company { ...%N } ... on Company { ...%N }"),
    "spreads in skipped inline fragments": chain(30, "... @skip(if: false) { ...%N } ... @include(if: true) { ...%N }"),
    "on an interface": chain(
        30, "...%N ...%N", on="Node", leaf="id", operation='{ node(id: "Q29tcGFueTox") { ...F0 } }'
    ),
    "on Query": chain(30, "...%N ...%N", on="Query", leaf="ortsteile { key }", operation="{ ...F0 }"),
    "several fragments per level": "\n".join(
        ["{ companies(first: 1) { nodes { ...A0 } } }"]
        + [f"fragment {x}{i} on Company {{ ...A{i + 1} ...B{i + 1} }}" for i in range(24) for x in "AB"]
        + ["fragment A24 on Company { name }", "fragment B24 on Company { slug }"]
    ),
}
"""Each is a few hundred bytes to a few kilobytes and expands to over 2^24 field selections."""


@st.composite
def fragment_heavy_documents(draw: st.DrawFn) -> str:
    """A valid document whose fragments spread each other in a DAG (never a cycle), many times per
    level, with aliases, inline fragments and links between them; the operation spreads every
    fragment that no other fragment does, so none is unused."""
    count = draw(st.integers(1, 24))
    fragments, spread = [], set()
    for i in range(count):
        leaves = draw(st.lists(st.sampled_from(COMPANY_LEAVES), min_size=1, max_size=3))
        aliased = draw(st.integers(0, 9)) == 0  # aliases multiply with every spread: now and then
        parts = [f"a{i}_{j}: {leaf}" if aliased else leaf for j, leaf in enumerate(leaves)]
        later = [f"F{j}" for j in range(i + 1, count)]
        if later:
            for name in draw(st.lists(st.sampled_from(later), max_size=6)):
                wrapper = draw(
                    st.sampled_from(["...%s", "... on Company { ...%s }", "... @include(if: true) { ...%s }"])
                )
                parts.append(wrapper % name)
                spread.add(name)
            if draw(st.booleans()):
                link = draw(st.sampled_from(COMPANY_LINKS))
                parts.append(link % "...NetworkPart" if "%s" in link else link)
        fragments.append(f"fragment F{i} on Company {{ {' '.join(parts)} }}")
    if any("...NetworkPart" in f for f in fragments):
        last = f"F{count - 1}"
        fragments.append(f"fragment NetworkPart on Network {{ name members(first: 2) {{ nodes {{ ...{last} }} }} }}")
        spread.add(last)
    roots = [f"...F{i}" for i in range(count) if f"F{i}" not in spread]
    first = draw(st.integers(0, 100))
    operation = f"{{ companies(first: {first}) {{ nodes {{ {' '.join(roots)} }} }} }}"
    return "\n".join([operation, *fragments])
