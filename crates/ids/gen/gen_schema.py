#!/usr/bin/env python3
"""Regenerates crates/ids/data/schema.txt from IfcOpenShell's compiled EXPRESS schemas.

Run:  python3 -m venv /tmp/ios && /tmp/ios/bin/pip install ifcopenshell==0.9.0.post1
      /tmp/ios/bin/python crates/ids/gen/gen_schema.py > crates/ids/data/schema.txt

Format (one record per line, tab separated):
  S <SCHEMA>                         starts a schema block
  E <NAME> <SUPERTYPE|-> <attrs>     an entity; attrs = own attributes only,
                                     comma separated NAME:KIND[*]; '*' = derived
                                     (redeclared) in this entity
  T <NAME> <KIND>                    a defined type and its underlying kind
  N <NAME> <ITEM,ITEM,...>           an enumeration type and its items
KIND (R may carry its defined type: R/IFCLENGTHMEASURE): e entity, n enum, s select, a aggregate, S string, R real, I integer,
B boolean, L logical, X binary, ? other. Names are upper case.
"""
import ifcopenshell.ifcopenshell_wrapper as w

SCHEMAS = ["IFC2X3", "IFC4", "IFC4X3_ADD2"]


def kind(t):
    tn = type(t).__name__
    if tn == "named_type":
        d = t.declared_type()
        dn = type(d).__name__
        if dn == "entity":
            return "e"
        if dn == "enumeration_type":
            return "n"
        if dn == "select_type":
            return "s"
        if dn == "type_declaration":
            k = kind(d.declared_type())
            # keep the defined type's name for reals: the unit of a measure
            return f"{k}/{d.name().upper()}" if k == "R" else k
        return "?"
    if tn == "simple_type":
        return {"string": "S", "real": "R", "number": "R", "integer": "I",
                "boolean": "B", "logical": "L", "binary": "X"}.get(t.declared_type(), "?")
    if tn == "aggregation_type":
        return "a"
    return "?"


def main():
    for name in SCHEMAS:
        s = w.schema_by_name(name)
        print(f"S\t{name}")
        for d in sorted(s.declarations(), key=lambda d: d.name()):
            dn = type(d).__name__
            if dn == "entity":
                sup = d.supertype().name().upper() if d.supertype() else "-"
                own = d.attributes()
                derived = d.derived()
                # derived() covers all attributes; mark redeclared ones by name
                all_names = [a.name() for a in d.all_attributes()]
                dset = {all_names[i] for i, x in enumerate(derived) if x}
                attrs = ",".join(f"{a.name()}:{kind(a.type_of_attribute())}" for a in own)
                extra = ",".join(sorted(dset))
                print(f"E\t{d.name().upper()}\t{sup}\t{attrs}\t{extra}")
            elif dn == "type_declaration":
                print(f"T\t{d.name().upper()}\t{kind(d.declared_type())}")
            elif dn == "enumeration_type":
                print(f"N\t{d.name().upper()}\t{','.join(d.enumeration_items())}")


if __name__ == "__main__":
    main()
