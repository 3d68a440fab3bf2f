#!/usr/bin/env python3
"""Compares zhishen's IDS validation with xmlschema's (through ifctester) on variants of
the demo IDS, each breaking one rule of ids.xsd (or none).

Usage: /path/to/venv/python crates/ids/gen/validate_diff.py ZHISHEN MODEL.ifc [DIFF.ids]
(DIFF.ids: a second valid IDS using restrictions in applicability and classification;
any valid one works). Prints one line per variant and the number that agree.
"""
import re, subprocess, sys, tempfile, os
from ifctester import ids as I
ZHISHEN, MODEL = sys.argv[1], sys.argv[2]
DIFF = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "differential.ids")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
os.chdir(tempfile.mkdtemp())
schema = I.get_schema()
base = open(os.path.join(ROOT, 'assets/ids/planning-permit.ids')).read()
diff = open(DIFF).read()
muts = {
 'ok_demo': base,
 'ok_diff': diff,
 'no_title': base.replace('<title>规划报建 BIM 模型信息要求 Planning permit model requirements (demo)</title>',''),
 'bad_author': base.replace('review@zhishen.example.cn','review-at-zhishen'),
 'bad_date': base.replace('2026-12-05','2026/12/05'),
 'info_order': base.replace('<copyright>zhishen</copyright>\n    <version>1.0</version>','<version>1.0</version>\n    <copyright>zhishen</copyright>'),
 'no_ifcversion': base.replace(' ifcVersion="IFC2X3 IFC4 IFC4X3_ADD2" identifier="GH-01"',' identifier="GH-01"'),
 'bad_ifcversion': base.replace('ifcVersion="IFC2X3 IFC4 IFC4X3_ADD2" identifier="GH-01"','ifcVersion="IFC4X3" identifier="GH-01"'),
 'unknown_attr': base.replace('identifier="GH-01"','identifier="GH-01" foo="bar"'),
 'card_optional_partof': base.replace('relation="IFCRELCONTAINEDINSPATIALSTRUCTURE" cardinality="required"','relation="IFCRELCONTAINEDINSPATIALSTRUCTURE" cardinality="optional"'),
 'bad_relation': base.replace('relation="IFCRELCONTAINEDINSPATIALSTRUCTURE"','relation="IFCRELCONTAINS"'),
 'lower_datatype': base.replace('dataType="IFCAREAMEASURE"','dataType="IfcAreaMeasure"'),
 'two_values': base.replace('<name><simpleValue>IFCSPACE</simpleValue></name>','<name><simpleValue>IFCSPACE</simpleValue><simpleValue>X</simpleValue></name>'),
 'no_baseName': base.replace('<baseName><simpleValue>OccupancyType</simpleValue></baseName>',''),
 'entity_card': base.replace('<entity>\n          <name><simpleValue>IFCBUILDINGSTOREY</simpleValue></name>','<entity cardinality="required">\n          <name><simpleValue>IFCBUILDINGSTOREY</simpleValue></name>',1),
 'no_specs': re.sub(r'<specifications>.*</specifications>','<specifications></specifications>',base,flags=re.S),
 'text_in_entity': base.replace('<entity>\n          <name><simpleValue>IFCBUILDING</simpleValue></name>','<entity>hello<name><simpleValue>IFCBUILDING</simpleValue></name>'),
 'bad_min': base.replace('minOccurs="1" maxOccurs="unbounded"','minOccurs="one" maxOccurs="unbounded"',1),
 'req_before_app': base.replace('<applicability minOccurs="1" maxOccurs="unbounded">\n        <entity>\n          <name><simpleValue>IFCBUILDING</simpleValue></name>\n        </entity>\n      </applicability>',''),
 'restriction_bad_facet': base.replace('<xs:minExclusive value="0"/>','<xs:minExclusive value="zero"/>'),
 'applic_order': diff.replace('<applicability><entity><name><simpleValue>IFCSPACE</simpleValue></name></entity><property>','<applicability><property>').replace('</property></applicability>\n      <requirements><property dataType="IFCAREAMEASURE">','</property><entity><name><simpleValue>IFCSPACE</simpleValue></name></entity></applicability>\n      <requirements><property dataType="IFCAREAMEASURE">'),
 'wrong_ns': base.replace('xmlns="http://standards.buildingsmart.org/IDS"','xmlns="http://example.org/IDS"'),
 'empty_requirements': base.replace('<requirements>\n        <property cardinality="required" instructions="Pset_BuildingCommon.OccupancyType，如 住宅 / Residential">','<requirements></requirements><requirements>\n        <property cardinality="required" instructions="Pset_BuildingCommon.OccupancyType，如 住宅 / Residential">'),
 'classification_no_system': diff.replace('<classification cardinality="optional"><system><xs:restriction><xs:pattern value=".*"/></xs:restriction></system></classification>','<classification cardinality="optional"/>'),
 'max_lt_min': base.replace('minOccurs="1" maxOccurs="unbounded"','minOccurs="2" maxOccurs="1"',1),
}
ifc = MODEL
agree = 0
for k, v in muts.items():
    open(f'{k}.ids','w').write(v)
    try:
        schema.validate(f'{k}.ids'); xs = 'valid'
    except Exception as e:
        xs = 'invalid'
    r = subprocess.run([ZHISHEN, 'ids', ifc, f'{k}.ids'], capture_output=True, text=True)
    me = 'invalid' if r.returncode == 2 else 'valid'
    agree += xs == me
    print(f"{'OK ' if xs==me else 'XX '}{k:<26} xmlschema={xs:<8} zhishen={me:<8} {r.stderr.strip()[:150]}")
print(agree, '/', len(muts))
