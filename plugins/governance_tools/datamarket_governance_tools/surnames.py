"""Common Chinese surnames: what a personal name starts with.

The 160 most common single-character surnames, in roughly descending order of frequency (they
cover well over 90% of the population), and the compound surnames still in use. A value that
starts with one of them is only *possibly* a name ("高中" and "武汉" start with surnames too), so
the name detector needs a column header to be sure.
"""

from __future__ import annotations

SINGLE_SURNAMES: frozenset[str] = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章"
    "鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉"
)

COMPOUND_SURNAMES: frozenset[str] = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "申屠",
    "太史", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "钟离", "闻人", "万俟", "赫连",
    "司空", "第五", "拓跋",
})
