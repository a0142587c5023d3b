"""Pictures of a run: static figures, the network year by year, an HTML report, a dashboard.

* :mod:`.plots`: ``restructuring-sim plot`` (annual deals beside the paper's Figure 1, sectors and
  purposes, network metrics, firm sizes);
* :mod:`.animate`: ``restructuring-sim animate`` (GIF or MP4, or a grid of yearly snapshots);
* :mod:`.report`: ``restructuring-sim report`` and ``run --report`` (one self-contained HTML file);
* :mod:`.dashboard`: ``restructuring-sim dashboard`` (a Mesa SolaraViz app on 127.0.0.1).

Every figure is drawn on a :class:`matplotlib.figure.Figure` with the Agg canvas (no pyplot
state), with fixed fonts, size and resolution and without time stamps, so the same run gives the
same pixels.
"""
