"""Press releases of the OSCE (www.osce.org). Arguments: see crawler.spiders.base."""

from crawler.spiders.base import ReleaseSpider


class OsceSpider(ReleaseSpider):
    name = "osce"
