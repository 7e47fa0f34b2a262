import {
  Chart as ChartJS,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';

/** The chart.js parts every chart on the page uses (tree-shaken chart.js registers nothing). */
ChartJS.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  Legend,
  Tooltip,
  Decimation,
);
