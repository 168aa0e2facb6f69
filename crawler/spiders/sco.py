"""Press releases of the Shanghai Cooperation Organisation (eng.sectsco.org).

Arguments: see crawler.spiders.base.
"""

from crawler.spiders.base import ReleaseSpider


class ScoSpider(ReleaseSpider):
    name = "sco"
