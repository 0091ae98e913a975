"""Possible duplicates of an entry: a similar name near the same place, or the same website."""

import difflib
import re
import unicodedata
from urllib.parse import urlsplit

from directory.geo import haversine_miles
from directory.models import Organization

NEAR_MILES = 25
SIMILAR = 0.82
MAX_SHOWN = 10
# Words that say nothing about which group it is.
FILLER = {"the", "of", "a", "an", "and", "for", "in", "chapter", "local", "inc", "org", "group"}
# Hosts where the path, not the host, names the group.
SHARED_HOSTS = {
    "facebook.com",
    "instagram.com",
    "x.com",
    "twitter.com",
    "linktr.ee",
    "bsky.app",
    "actionnetwork.org",
    "mobilize.us",
    "sites.google.com",
    "docs.google.com",
    "tiktok.com",
}


def words(name):
    """The name as lowercase ASCII-folded words, with "&" read as "and" and punctuation gone."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    text = text.replace("&", " and ").replace("'", "").replace("’", "")
    return re.findall(r"[a-z0-9]+", text)


def _key_words(name):
    return [word for word in words(name) if word not in FILLER]


def _with_acronyms(mine, theirs):
    """`theirs` with any run of words whose initials spell a word of `mine` replaced by it.

    "Democratic Socialists of America" becomes "dsa" next to a name that says "DSA".
    """
    result, i = [], 0
    short = {word for word in mine if 2 <= len(word) <= 6}
    while i < len(theirs):
        for j in range(len(theirs), i + 1, -1):
            if "".join(word[0] for word in theirs[i:j]) in short:
                result.append("".join(word[0] for word in theirs[i:j]))
                i = j
                break
        else:
            result.append(theirs[i])
            i += 1
    return result


def name_similarity(first, second):
    """0 to 1: how alike two group names are, forgiving punctuation, filler words and acronyms."""
    a, b = _key_words(first), _key_words(second)
    if not a or not b:
        return 0.0
    a, b = _with_acronyms(b, a), _with_acronyms(a, b)
    ratio = difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio()
    shared = len(set(a) & set(b)) / len(set(a) | set(b))
    return max(ratio, shared)


def site_key(url):
    """The part of a website address that names the group: the host, or host and first path."""
    if not url:
        return ""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    host = (parts.hostname or "").removeprefix("www.")
    if host in SHARED_HOSTS:
        first = parts.path.strip("/").split("/")[0].casefold()
        return f"{host}/{first}" if first else ""
    return host


def possible_duplicates(org):
    """Other entries that may be the same group as `org`, most likely first (a bounded list)."""
    others = Organization.objects.exclude(pk=org.pk).exclude(status=Organization.Status.ARCHIVED)
    candidates = {}
    if org.has_point:
        for other in others.in_box(org.latitude, org.longitude, NEAR_MILES)[:500]:
            candidates[other.pk] = other
    elif org.city:
        for other in others.filter(city__iexact=org.city, state__iexact=org.state)[:500]:
            candidates[other.pk] = other
    key = site_key(org.website)
    if key:
        host = key.split("/")[0]
        for other in others.filter(website__icontains=host)[:200]:
            candidates[other.pk] = other

    scored = []
    for other in candidates.values():
        if key and site_key(other.website) == key:
            scored.append((2.0, other))
            continue
        if (
            org.has_point
            and other.has_point
            and haversine_miles(org.latitude, org.longitude, other.latitude, other.longitude)
            > NEAR_MILES
        ):
            continue
        score = name_similarity(org.name, other.name)
        if score >= SIMILAR:
            scored.append((score, other))
    scored.sort(key=lambda pair: (-pair[0], pair[1].name))
    return [other for _, other in scored[:MAX_SHOWN]]
