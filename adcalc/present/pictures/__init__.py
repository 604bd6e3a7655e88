"""Pictures of a recorded run (``adcalc graph``): ``model`` (the picture, read once from the
Graph), and its drawings — ``text`` (a Unicode layered drawing), ``dot`` (Graphviz source),
``svg`` (laid out by Graphviz's ``dot`` when installed, else by grandalf), ``jsonpic`` (the JSON).

Layer: presentation; reads ``adcalc.transform.graph`` and the registry's display rules.
"""
