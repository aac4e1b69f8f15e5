"""Install mmext: ``pip install -e .`` (``make install`` builds the whole pinned stack)."""
import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name):
    """Requirement lines of ``requirements/<name>.txt`` without comments."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    reqs = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


def get_version():
    scope = {}
    with open(osp.join(osp.dirname(__file__), 'mmext', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmext',
    version=get_version(),
    description='OpenMMLab 2.0 plugins for DCFL, refined GFL (YOLOv8), FANet, MMMC and CogSeg',
    long_description=open('README.md').read() if osp.exists('README.md') else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    include_package_data=True,
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'mim': read_requirements('mminstall.txt'),
        'tests': read_requirements('tests.txt'),
    },
    zip_safe=False,
)
