"""The record's list of installed distributions (SOUP) names each with the name and version its metadata gives."""

from importlib import metadata

from lhv.record.writer import _metadata_headers, _soup


def test_the_soup_lists_every_installed_distribution_as_its_metadata_names_it():
    expected = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name.lower() != "lhv":
            expected[name.lower()] = {"name": name, "version": dist.version}
    assert list(_soup()) == [expected[key] for key in sorted(expected)]
    assert len(expected) > 10  # pytest, jinja2, cryptography, ... at the least


class _Dist(metadata.Distribution):
    """A distribution whose metadata is a given text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read_text(self, filename):
        return self.text if filename == "METADATA" else None

    def locate_file(self, path):
        raise NotImplementedError


def test_name_and_version_are_read_as_the_metadata_reads_them_past_folded_lines_and_not_from_the_description():
    text = "Metadata-Version: 2.1\nName: some-lib\nSummary: a long\n  folded summary\nVersion: 1.2\n\nName: body\n"
    for key, value in (("Name", "some-lib"), ("Version", "1.2")):
        assert _metadata_headers(_Dist(text))[key] == _Dist(text).metadata[key] == value
    assert _metadata_headers(_Dist("Name: x\r\nVersion: 3\r\n\r\nbody"))["Version"] == "3"
