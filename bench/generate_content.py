#!/usr/bin/env python3
"""Writes a content folder with N generated articles (default 10,000) for benchmarks.

Usage: generate_content.py FOLDER [N]

Articles are about 900 words of generated prose in five sections by twenty authors, with tags,
so that pages, lists and the import have realistic sizes.
"""

import os
import random
import sys

WORDS = ("alliance deterrence trade tariff budget treaty coalition election sanctions energy grid "
         "market inflation reserve maritime strait summit ministry parliament reform pipeline "
         "security export import currency debt growth climate transition policy strategy "
         "region border negotiation agreement council cabinet industry labour capital").split()


def sentence(rng):
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def paragraph(rng):
    return " ".join(sentence(rng) for _ in range(rng.randint(4, 7)))


def main():
    folder = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = random.Random(42)
    os.makedirs(os.path.join(folder, "posts"), exist_ok=True)
    os.makedirs(os.path.join(folder, "authors"), exist_ok=True)
    with open(os.path.join(folder, "publication.yaml"), "w") as out:
        out.write("title: Benchmark Review\ndescription: Generated articles for benchmarks.\n"
                  "base_url: http://127.0.0.1:8080\ntimezone: Europe/Berlin\n")
    sections = ["security", "economy", "energy", "technology", "reports"]
    with open(os.path.join(folder, "sections.yaml"), "w") as out:
        for slug in sections:
            out.write(f"- slug: {slug}\n  name: {slug.capitalize()}\n  opinion: {'true' if slug != 'reports' else 'false'}\n")
    authors = [f"author-{i}" for i in range(20)]
    for slug in authors:
        with open(os.path.join(folder, "authors", slug + ".md"), "w") as out:
            out.write(f"---\nname: Author {slug[7:]}\ntitle: Senior Fellow\n---\n{paragraph(rng)}\n")
    for i in range(count):
        title = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        year = 2010 + (i // 336) % 16
        body = "\n\n".join(paragraph(rng) for _ in range(rng.randint(8, 12)))
        with open(os.path.join(folder, "posts", f"article-{i:05d}.md"), "w") as out:
            out.write("---\n"
                      f"title: {title} {i}\n"
                      f"slug: article-{i:05d}\n"
                      f"dek: {sentence(rng)}\n"
                      f"section: {rng.choice(sections)}\n"
                      f"authors: [{rng.choice(authors)}]\n"
                      f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]\n"
                      f"date: {year:04d}-{month:02d}-{day:02d}T09:{i % 60:02d}:00Z\n"
                      "---\n" + body + "\n")


if __name__ == "__main__":
    main()
