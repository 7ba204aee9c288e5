# Copyright (c) mmssg contributors. All rights reserved.
"""The README and docs/ link only to files and headings that exist, and stay a readable size."""
import glob
import os.path as osp
import re

import pytest

from mmssg.testing import REPO_ROOT

DOCUMENTS = sorted([
    osp.join(REPO_ROOT, 'README.md'),
    osp.join(REPO_ROOT, 'benchmarks', 'README.md'),
    osp.join(REPO_ROOT, 'benchmarks', 'RESULTS.md'),
    *glob.glob(osp.join(REPO_ROOT, 'docs', '*.md')),
])
# [text](target), not images' alt text of inline code; targets without spaces
LINK = re.compile(r'(?<!`)\[[^\]\n]*\]\(([^)\s]+)\)')
MAX_README_LINES = 300


def heading_anchors(path):
    """The anchors GitHub gives a Markdown file's headings (repeated ones numbered)."""
    anchors, seen = set(), {}
    in_code = False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('```'):
                in_code = not in_code
            if in_code or not re.match(r'#{1,6} ', line):
                continue
            text = line.lstrip('#').strip().lower()
            slug = re.sub(r'[^\w\- ]', '', text).replace(' ', '-')
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchors.add(slug if count == 0 else f'{slug}-{count}')
    return anchors


def links(path):
    """Every relative link target of a Markdown file, outside code blocks."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    text = re.sub(r'```.*?```', '', text, flags=re.S)
    return [t for t in LINK.findall(text) if not re.match(r'[a-z]+:', t)]


@pytest.mark.parametrize('path', DOCUMENTS, ids=lambda p: osp.relpath(p, REPO_ROOT))
def test_relative_links_reach_an_existing_file_and_heading(path):
    broken = []
    for target in links(path):
        file, _, anchor = target.partition('#')
        resolved = osp.normpath(osp.join(osp.dirname(path), file)) if file else path
        if not osp.exists(resolved):
            broken.append(f'{target}: no such file')
        elif anchor and resolved.endswith('.md') and anchor not in heading_anchors(resolved):
            broken.append(f'{target}: no heading #{anchor} in {osp.relpath(resolved, REPO_ROOT)}')
    assert not broken, broken


def test_the_link_check_sees_a_broken_link(tmp_path):
    page = tmp_path / 'page.md'
    page.write_text('# Title\n\n[ok](#title) [gone](missing.md) [bad](#nowhere)\n'
                    '```\n[in code](ignored.md)\n```\n')
    assert links(str(page)) == ['#title', 'missing.md', '#nowhere']
    assert heading_anchors(str(page)) == {'title'}


def test_the_readme_is_a_user_guide_of_readable_length():
    with open(osp.join(REPO_ROOT, 'README.md'), encoding='utf-8') as f:
        lines = f.read().splitlines()
    assert len(lines) <= MAX_README_LINES
