"""Validates the shipped widget descriptors against the official schemas, offline.

portlet.xml against portlet-app_2_0.xsd or portlet-app_3_0.xsd (chosen by namespace),
liferay-portlet.xml against the Liferay 7.4.0 DTD and liferay-display.xml against the
7.3.0 DTD. The XSDs import xml.xsd from w3.org; a resolver serves the local copy so no
network is ever used.
"""

import copy
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from conftest import BIN

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
SPECS = REPO_ROOT.parent / "shared" / "specs"
WIDGETS = REPO_ROOT / "widget-descriptors"

NS_2_0 = "http://java.sun.com/xml/ns/portlet/portlet-app_2_0.xsd"
NS_3_0 = "http://xmlns.jcp.org/xml/ns/portlet"
SCHEMAS = {NS_2_0: "portlet-app_2_0.xsd", NS_3_0: "portlet-app_3_0.xsd"}


class LocalXmlXsd(etree.Resolver):
    """Serves http://www.w3.org/2001/xml.xsd from the local specs, refusing any other URL."""

    def resolve(self, url, pubid, context):
        if url.endswith("xml.xsd"):
            return self.resolve_filename(str(SPECS / "wsrp2" / "xml.xsd"), context)
        if url.startswith(("http:", "https:")):
            raise AssertionError(f"network access attempted: {url}")
        return None


def offline_parser(**kwargs):
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, **kwargs)
    parser.resolvers.add(LocalXmlXsd())
    return parser


def xml_schema(namespace):
    doc = etree.parse(str(SPECS / "portlet" / SCHEMAS[namespace]), offline_parser())
    return etree.XMLSchema(doc)


def dtd(name):
    return etree.DTD(str(SPECS / "liferay" / name))


def widget_dirs():
    dirs = sorted(p for p in WIDGETS.iterdir() if p.is_dir())
    assert dirs, f"no widget folders under {WIDGETS}"
    return dirs


def parse(path):
    return etree.parse(str(path), offline_parser())


def validate_portlet_xml(tree):
    namespace = etree.QName(tree.getroot()).namespace
    assert namespace in SCHEMAS, f"unexpected namespace {namespace}"
    schema = xml_schema(namespace)
    return schema.validate(tree), schema.error_log, namespace


@pytest.mark.parametrize("folder", widget_dirs(), ids=lambda p: p.name)
def test_portlet_xml_is_valid_against_its_xsd(folder):
    ok, log, _ = validate_portlet_xml(parse(folder / "portlet.xml"))
    assert ok, str(log)


def test_both_portlet_specifications_are_exercised():
    namespaces = {etree.QName(parse(d / "portlet.xml").getroot()).namespace for d in widget_dirs()}
    assert namespaces == {NS_2_0, NS_3_0}


@pytest.mark.parametrize("folder", widget_dirs(), ids=lambda p: p.name)
def test_liferay_portlet_xml_is_valid_against_dtd_7_4_0(folder):
    checker = dtd("liferay-portlet-app_7_4_0.dtd")
    tree = parse(folder / "liferay-portlet.xml")
    assert checker.validate(tree), str(checker.error_log)


@pytest.mark.parametrize("folder", widget_dirs(), ids=lambda p: p.name)
def test_liferay_display_xml_is_valid_against_dtd_7_3_0(folder):
    checker = dtd("liferay-display_7_3_0.dtd")
    tree = parse(folder / "liferay-display.xml")
    assert checker.validate(tree), str(checker.error_log)
    ids = [p.get("id") for p in tree.iter("portlet")]
    names = [n.text.strip() for n in parse(folder / "portlet.xml").iter("{*}portlet-name")]
    assert ids == names


# The validators must be able to fail: broken copies are rejected, by the official
# schemas and by the host's own check (`widget-host descriptors check`), which an
# administrator runs before deploying.


def host_check(folder, tmp_path, name=None, tree=None):
    """The host's check of a copy of `folder`, with `name` written from `tree`."""
    copied = tmp_path / folder.name
    shutil.copytree(folder, copied)
    if name:
        tree.write(str(copied / name), xml_declaration=True, encoding="UTF-8")
    return subprocess.run([BIN, "descriptors", "check", str(copied)], capture_output=True,
                          text=True, timeout=60)


def assert_host_refuses(result, name, element):
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    # The file, its line and column, and the element out of place.
    assert re.search(rf"{re.escape(name)}:\d+:\d+: .*<{element}>", result.stdout), result.stdout


@pytest.mark.parametrize("folder", widget_dirs(), ids=lambda p: p.name)
def test_the_host_passes_the_shipped_descriptors(folder, tmp_path):
    """The control for the refusals below: the copies as shipped pass."""
    result = host_check(folder, tmp_path)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "all valid" in result.stdout, result.stdout


@pytest.mark.parametrize("folder", widget_dirs(), ids=lambda p: p.name)
def test_out_of_order_portlet_xml_is_rejected(folder, tmp_path):
    tree = copy.deepcopy(parse(folder / "portlet.xml"))
    portlet = tree.getroot().find("{*}portlet")
    portlet_class = portlet.find("{*}portlet-class")
    portlet.remove(portlet_class)
    portlet.append(portlet_class)  # portlet-class after portlet-info: wrong order
    ok, log, _ = validate_portlet_xml(tree)
    assert not ok
    assert "portlet-class" in str(log)
    assert_host_refuses(host_check(folder, tmp_path, "portlet.xml", tree), "portlet.xml", "portlet-class")


@pytest.mark.parametrize("folder", widget_dirs(), ids=lambda p: p.name)
def test_out_of_order_liferay_portlet_xml_is_rejected(folder, tmp_path):
    tree = copy.deepcopy(parse(folder / "liferay-portlet.xml"))
    portlet = tree.getroot().find("portlet")
    icon = portlet.find("icon")
    portlet.remove(icon)
    portlet.append(icon)  # icon last: the DTD wants it right after portlet-name
    checker = dtd("liferay-portlet-app_7_4_0.dtd")
    assert not checker.validate(tree)
    result = host_check(folder, tmp_path, "liferay-portlet.xml", tree)
    assert_host_refuses(result, "liferay-portlet.xml", "icon")


def test_display_without_category_name_is_rejected():
    tree = copy.deepcopy(parse(widget_dirs()[0] / "liferay-display.xml"))
    del tree.getroot().find("category").attrib["name"]
    checker = dtd("liferay-display_7_3_0.dtd")
    assert not checker.validate(tree)
