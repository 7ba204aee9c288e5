# Copyright (c) mmssg contributors. All rights reserved.
"""tools/analysis/make_tables.py: the paper's table layouts from results files, and bad input."""
import csv
import json
import os

import pytest

from mmssg.cli.make_tables import main as make_tables

SYNTHETIC = dict(
    type='CityscapesSRDataset',
    data_root='data/cityscapes_synthetic_x4',
    data_prefix=dict(img_path='leftImg8bit/val', gt_path='leftImg8bit_hr/val'))
REAL = dict(
    type='CityscapesSRDataset',
    data_root='data/cityscapes',
    data_prefix=dict(img_path='leftImg8bit/val'))


def results_file(folder, name, metrics, dataset=SYNTHETIC, random=(), method=None):
    """A results file as tools/test.py --out writes it."""
    path = folder / f'{name}.json'
    path.write_text(
        json.dumps(
            dict(
                method=method or name,
                config=f'configs/{name}.py',
                checkpoint=None,
                cfg_options={},
                dataset=dataset,
                num_images=500,
                metrics=metrics,
                random_weights_metrics=list(random))))
    return str(path)


def table3_inputs(tmp_path):
    random = ('LPIPS', 'DISTS')
    return [
        results_file(
            tmp_path,
            'bicubic',
            dict(PSNR=27.51, SSIM=0.62, LPIPS=0.64, DISTS=0.19, NIQE=7.1),
            random=random,
            method='Bicubic'),
        results_file(
            tmp_path,
            'realsr',
            dict(PSNR=25.88, SSIM=0.77, LPIPS=0.26, DISTS=0.10),
            random=random,
            method='RealSR'),
        results_file(
            tmp_path,
            'ours',
            dict(PSNR=29.08, SSIM=0.83, LPIPS=0.19, DISTS=0.07),
            random=random,
            method='Ours'),
    ]


def table_rows(markdown):
    return [[c.strip() for c in line.strip('|').split('|')] for line in markdown.splitlines()
            if line.startswith('|')]


def test_help_documents_the_inputs(capsys):
    with pytest.raises(SystemExit) as done:
        make_tables(['--help'])
    assert done.value.code == 0
    text = capsys.readouterr().out
    for option in ('--result NAME=FILE', '--table', '--columns', '--mor', '--out-md', '--out-csv',
                   'tools/test.py'):
        assert option in text, option


def test_table3_layout_marks_random_weights_and_bolds_the_best(tmp_path, capsys):
    files = table3_inputs(tmp_path)
    md, csv_path = tmp_path / 't3.md', tmp_path / 't3.csv'
    assert make_tables(['--table', '3', *files, '--out-md',
                        str(md), '--out-csv',
                        str(csv_path)]) == 0
    markdown = md.read_text(encoding='utf-8')
    assert markdown == capsys.readouterr().out.split('wrote')[0].rstrip('\n') + '\n'
    rows = table_rows(markdown)
    assert rows[0] == ['Method', 'PSNR ↑', 'SSIM ↑', 'LPIPS* ↓', 'DISTS* ↓']
    assert rows[2] == ['Bicubic', '27.51', '0.620', '0.6400', '0.1900']
    assert rows[3] == ['RealSR', '25.88', '0.770', '0.2600', '0.1000']
    assert rows[4] == ['Ours', '**29.08**', '**0.830**', '**0.1900**', '**0.0700**']
    assert 'random network weights' in markdown and '500 images' in markdown
    with open(csv_path, encoding='utf-8') as f:
        table = list(csv.reader(f))
    assert table[0] == ['Method', 'PSNR ↑', 'SSIM ↑', 'LPIPS* ↓', 'DISTS* ↓']
    assert table[1][0] == 'Bicubic' and float(table[1][4]) == 0.19


def test_table1_fills_mor_from_the_study_and_rows_can_be_renamed(tmp_path, capsys):
    real = [
        results_file(tmp_path, name, dict(NIMA=nima, MetaIQA=meta), dataset=REAL)
        for name, nima, meta in (('bicubic', 4.62, 0.245), ('esrgan', 4.95, 0.247), ('ours', 5.04,
                                                                                     0.254))
    ]
    study = tmp_path / 'mor.json'
    study.write_text(
        json.dumps(
            dict(
                metric='MOR',
                lower_is_better=True,
                methods=dict(SSG=dict(mor=1.21, ci95=[1.1, 1.3], rankings=40)))))
    make_tables([
        '--table', '1', '--result', f'Bicubic={real[0]}', '--result', f'ESRGAN={real[1]}',
        '--result', f'SSG={real[2]}', '--mor',
        str(study)
    ])
    rows = table_rows(capsys.readouterr().out)
    assert rows[0] == ['Method', 'NIMA ↑', 'Meta-IQA ↑', 'MOR ↓']
    assert rows[2] == ['Bicubic', '4.62', '0.245', '-']
    assert rows[4] == ['SSG', '**5.04**', '**0.254**', '**1.21**']
    make_tables(['--table', '4', '--result', f'Ours (DA)={real[0]}', '--result', f'Ours={real[2]}'])
    rows = table_rows(capsys.readouterr().out)
    assert rows[0] == ['Method', 'NIMA ↑', 'Meta-IQA ↑'] and rows[2][0] == 'Ours (DA)'


def test_any_metric_can_be_a_column_with_its_direction(tmp_path, capsys):
    files = table3_inputs(tmp_path)
    make_tables(['--columns', 'NIQE:down', 'PSNR', '--result', f'A={files[0]}'])
    assert table_rows(capsys.readouterr().out)[0] == ['Method', 'NIQE ↓', 'PSNR ↑']
    with pytest.raises(ValueError, match='higher or lower'):
        make_tables(['--columns', 'FID', '--result', f'A={files[0]}'])


def test_a_file_from_another_dataset_is_refused_naming_it(tmp_path):
    files = table3_inputs(tmp_path)
    other = results_file(
        tmp_path,
        'real',
        dict(PSNR=1, SSIM=1, LPIPS=1, DISTS=1),
        dataset=REAL,
        random=('LPIPS', 'DISTS'))
    with pytest.raises(ValueError, match=f'{other} was scored on a different dataset'):
        make_tables(['--table', '3', *files, other])


def test_missing_metrics_are_named_with_their_file(tmp_path):
    files = table3_inputs(tmp_path)
    partial = results_file(
        tmp_path, 'partial', dict(PSNR=20.0, SSIM=0.5), random=('LPIPS', 'DISTS'))
    with pytest.raises(KeyError, match=f'{partial} lacks LPIPS, DISTS'):
        make_tables(['--table', '3', *files, partial])
    flat = tmp_path / 'flat.json'
    flat.write_text(json.dumps(dict(PSNR=20.0)))
    with pytest.raises(ValueError, match=f'{flat} is not a results file.*metrics, dataset'):
        make_tables(['--table', '3', str(flat)])


def test_random_and_published_weights_do_not_share_a_column(tmp_path):
    files = table3_inputs(tmp_path)
    published = results_file(tmp_path, 'published', dict(PSNR=1, SSIM=1, LPIPS=1, DISTS=1))
    with pytest.raises(ValueError, match='LPIPS was computed with random network weights'):
        make_tables(['--table', '3', *files, published])


def test_mor_study_naming_unknown_methods_and_duplicate_rows_are_refused(tmp_path):
    files = table3_inputs(tmp_path)
    study = tmp_path / 'mor.json'
    study.write_text(json.dumps(dict(methods=dict(Nobody=dict(mor=2.0)))))
    with pytest.raises(ValueError, match='Nobody'):
        make_tables(['--table', '3', *files, '--mor', str(study)])
    with pytest.raises(ValueError, match="two rows named 'Ours'"):
        make_tables(['--table', '3', *files, '--result', f'Ours={files[0]}'])
    with pytest.raises(ValueError, match='refusing to overwrite'):
        make_tables(['--table', '3', *files, '--out-md', files[0]])
    # through a link to the inputs' folder, and both tables on one file
    link = tmp_path / 'link'
    link.symlink_to(os.path.dirname(files[0]), target_is_directory=True)
    linked = str(link / os.path.basename(files[0]))
    with pytest.raises(ValueError, match=f'^--out-md {linked} is the input {files[0]} '):
        make_tables(['--table', '3', *files, '--out-md', linked])
    broken = tmp_path / 'broken.json'
    broken.write_text('{"method": ')
    with pytest.raises(ValueError, match=f'^{broken} is not valid JSON'):
        make_tables(['--table', '3', *files, str(broken)])
    with pytest.raises(ValueError, match=f'^{broken} is not valid JSON'):
        make_tables(['--table', '3', *files, '--mor', str(broken)])
    both = str(tmp_path / 'tables.md')
    with pytest.raises(ValueError, match=f'^--out-csv {both} is also --out-md '):
        make_tables(['--table', '3', *files, '--out-md', both, '--out-csv', both])
    assert not os.path.exists(both)


def test_a_metric_that_is_not_a_number_is_named_with_its_file(tmp_path):
    files = table3_inputs(tmp_path)
    results = json.load(open(files[0]))
    key = next(iter(results['metrics']))
    results['metrics'][key] = 'high'
    with open(files[0], 'w') as f:
        json.dump(results, f)
    with pytest.raises(ValueError, match=f"^{files[0]}: metric {key} is 'high', not a number"):
        make_tables(['--table', '3', *files])
