"""Korean hints and explanations of the question bank, keyed to the English text.

``quiz`` prints these (and, in :data:`MESSAGES`, the messages of the questions' ``compare``
functions) in place of the English ones when ``UNET_COURSE_LANG=ko``. The key is the
English hint (or explanation) exactly as the question holds it, so a question whose English
text changes finds no Korean one any more: ``tests/test_quiz_korean.py`` fails and names the
question id, until the Korean text here is brought up to date. Terms follow ``locales/ko/terminology.csv`` (the glossary agrees with it).

The module's name starts with ``_``: ``quiz.load_bank`` skips it (it holds no questions).
"""

from __future__ import annotations

HINTS: dict[str, str] = {
    # --- chapter 01 ---------------------------------------------------------------------------
    "Count the pixels that are 1 in both maps, then the pixels that are 1 in either map.":
        "두 맵에서 모두 1인 픽셀을 세고, 이어서 둘 중 하나라도 1인 픽셀을 세어 보세요.",
    "Semantic labels do not tell objects of one class apart; instance labels leave the background (stuff) unlabelled.":
        "의미론적 분할의 레이블은 같은 클래스의 객체를 서로 구별하지 않고, 인스턴스 분할의 레이블은 배경(stuff)에 레이블을 붙이지 않습니다.",
    "IoU = TP / (TP + FP + FN); a class with an empty union has no IoU.":
        "IoU = TP / (TP + FP + FN)입니다. 합집합이 빈 클래스에는 IoU가 정의되지 않습니다.",
    "Compare each pixel with its right and lower neighbour; a pair is two different non-zero ids side by side. Count each pair once.":
        "각 픽셀을 오른쪽 이웃, 아래쪽 이웃과 비교하세요. 0이 아닌 서로 다른 id 두 개가 나란히 있으면 한 쌍입니다. 쌍마다 한 번만 셉니다.",
    "Ask what share of the pixels is background, and what the IoU of a class is when not one pixel is predicted as that class.":
        "픽셀 중 배경이 차지하는 비율이 얼마인지, 그리고 어떤 클래스로 예측된 픽셀이 하나도 없을 때 그 클래스의 IoU가 얼마인지 생각해 보세요.",
    # --- chapter 02 ---------------------------------------------------------------------------
    "Neighbouring outputs of g are s' input pixels apart and each sees k' pixels; f looks at k neighbouring outputs of g and moves s of them per step.":
        "g의 이웃한 출력은 입력에서 s' 픽셀씩 떨어져 있고 각각 k' 픽셀을 봅니다. f는 g의 이웃한 출력 k개를 보고, 한 걸음에 출력 s개만큼 이동합니다.",
    "Count the filters, the size of each filter (height x width x input channels) and one bias per filter.":
        "필터의 개수, 필터 하나의 크기(높이 x 너비 x 입력 채널), 그리고 필터마다 하나씩 있는 편향(bias)을 세어 보세요.",
    "One score per window position; windows are 34 pixels wide and start every 4 pixels. Count how many fit.":
        "윈도우 위치마다 점수가 하나씩 나옵니다. 윈도우의 너비는 34픽셀이고 4픽셀마다 새 윈도우가 시작합니다. 몇 개가 들어가는지 세어 보세요.",
    "Use r_out = r + (k - 1) j and j_out = j s, starting from r = j = 1.":
        "r = j = 1에서 시작하여 r_out = r + (k - 1) j, j_out = j s를 차례로 적용하세요.",
    "Slide the window along one side in steps of the feature stride; a window must lie entirely inside the image.":
        "한 변을 따라 특징 맵의 스트라이드만큼씩 윈도우를 옮겨 보세요. 윈도우는 이미지 안에 완전히 들어가야 합니다.",
    # --- chapter 03 ---------------------------------------------------------------------------
    "It is the inverse of the convolution's size formula: spread the input by s, add the kernel's overhang k - 1, remove p on each side.":
        "합성곱의 크기 공식을 거꾸로 푼 것입니다. 입력을 s 간격으로 벌리고, 커널이 삐져나오는 k - 1을 더하고, 양쪽에서 p씩 빼세요.",
    "Pixel centres are at i + 1/2 in units of pixel width; scale the centre by n_in / n_out, then go back from centres to indices.":
        "픽셀 너비를 단위로 하면 픽셀 중심은 i + 1/2에 있습니다. 중심을 n_in / n_out배 하고, 다시 중심에서 인덱스로 되돌리세요.",
    "A tent 1 - |x - c| / f with f = ceil(k / 2) and c = f - 1 (k odd) or f - 1/2 (k even); the 2-D kernel is the outer product of two tents.":
        "f = ceil(k / 2), c = f - 1(k가 홀수일 때) 또는 f - 1/2(k가 짝수일 때)로 두면 텐트 모양 함수 1 - |x - c| / f가 됩니다. 2차원 커널은 두 텐트의 외적입니다.",
    "The output has (len(x) - 1) * stride + len(w) samples.":
        "출력의 샘플 수는 (len(x) - 1) * stride + len(w)입니다.",
    "Draw the stamps of a constant input along one axis and count, for each output sample away from the ends, how many stamps reach it.":
        "상수 입력이 한 축을 따라 찍는 도장(커널)을 그려 보고, 양 끝에서 떨어진 출력 샘플마다 도장이 몇 번 닿는지 세어 보세요.",
    "Each input pixel stamps a whole kernel at its own offset; find where the last stamp ends.":
        "입력 픽셀 하나하나가 자기 위치에 커널 전체를 도장처럼 찍습니다. 마지막 도장이 어디에서 끝나는지 찾아보세요.",
    # --- chapter 04 ---------------------------------------------------------------------------
    "Each skip halves the stride of the finest scores; which maps have strides 16 and 8?":
        "스킵 연결 하나가 가장 세밀한 점수의 스트라이드를 절반으로 줄입니다. 스트라이드가 16과 8인 맵은 어느 것일까요?",
    "Count the 2x2 poolings between the input and score_fr, and ask what the padding does to a side that is not a multiple of their total stride.":
        "입력과 score_fr 사이에 있는 2x2 풀링의 수를 세고, 전체 스트라이드의 배수가 아닌 변에 패딩이 어떤 영향을 주는지 생각해 보세요.",
    "A 1x1 convolution from C to K channels has C K weights and K biases; a transposed convolution's kernel holds in x out x k x k weights.":
        "C 채널을 K 채널로 바꾸는 1x1 합성곱에는 가중치 C K개와 편향 K개가 있습니다. 전치 합성곱의 커널에는 가중치가 in x out x k x k개 있습니다.",
    "scipy.ndimage.distance_transform_edt(~boundary) gives each pixel's distance to the nearest boundary pixel.":
        "scipy.ndimage.distance_transform_edt(~boundary)는 각 픽셀에서 가장 가까운 경계 픽셀까지의 거리를 줍니다.",
    "Ask how precisely each network can place an edge, not how long it trains.":
        "얼마나 오래 학습하는지가 아니라, 각 네트워크가 경계를 얼마나 정밀하게 놓을 수 있는지를 생각해 보세요.",
    # --- chapter 05 ---------------------------------------------------------------------------
    "Count per level of the contracting path, the bottleneck, per level of the expanding path (do not forget the up-convolutions), and the last layer.":
        "수축 경로의 단계마다, 병목(bottleneck)에서, 확장 경로의 단계마다(업 컨볼루션도 잊지 마세요), 그리고 마지막 층에서 세어 보세요.",
    "Compare the side of each skip map with the side of the up-convolved map for a padding='same' network (model.size_walk).":
        "padding='same'인 네트워크에서 각 스킵 맵의 변과 업 컨볼루션을 거친 맵의 변을 비교해 보세요(model.size_walk).",
    "Follow one side through the network: what does an unpadded 3x3 convolution, a 2x2 max-pool and a 2x2 up-convolution each do to it?":
        "한 변의 길이를 네트워크를 따라가며 추적하세요. 패딩 없는 3x3 합성곱, 2x2 max-pooling, 2x2 업 컨볼루션은 각각 그 길이를 어떻게 바꿀까요?",
    "Every map that reaches a max-pool must have an even side; model.size_problem(n) says where a side fails.":
        "max-pooling에 들어가는 맵은 모두 변의 길이가 짝수여야 합니다. model.size_problem(n)이 어디에서 어긋나는지 알려 줍니다.",
    "Build it (torch.device('meta') keeps it cheap) and sum p.numel() over its parameters; or count k*k*c_in*c_out + c_out per convolution.":
        "모델을 직접 만들고(torch.device('meta')를 쓰면 비용이 거의 들지 않습니다) 파라미터마다 p.numel()을 더하세요. 아니면 합성곱마다 k*k*c_in*c_out + c_out을 세어도 됩니다.",
    "The paper says how the two maps are merged: are channels summed element by element, or stacked?":
        "논문은 두 맵을 어떻게 합치는지 밝히고 있습니다. 채널을 원소별로 더할까요, 아니면 쌓을까요?",
    # --- chapter 06 ---------------------------------------------------------------------------
    "Along an axis of n pixels: one tile covers 388, every further tile adds 384; a partial tile counts.":
        "n 픽셀인 한 축을 따라 보면, 첫 타일이 388픽셀을 덮고 타일이 하나 늘 때마다 384픽셀이 더해집니다. 일부만 걸친 타일도 하나로 셉니다.",
    "First find the output tile (model.output_size); then ask which steps keep every tile on the pooling grid.":
        "먼저 출력 타일의 크기를 구하세요(model.output_size). 그다음 어떤 간격으로 옮겨야 모든 타일이 풀링 격자 위에 놓이는지 생각해 보세요.",
    "Reflection about the border pixel is periodic; find its period, then fold the upper half of each period back.":
        "경계 픽셀을 기준으로 한 반사는 주기적입니다. 주기를 찾은 다음, 각 주기의 뒤쪽 절반을 접어서 되돌리세요.",
    "What does the network see in the mirrored band: the tissue that was there, or a reflection of the tissue inside?":
        "미러링된 띠에서 네트워크가 보는 것은 무엇일까요? 실제로 그 자리에 있던 조직일까요, 아니면 안쪽 조직이 반사된 모습일까요?",
    "Which filling looks most like the tissue the filters saw in training: a reflection, a flat dark band, or dark bands on all four sides of every tile?":
        "필터가 학습 중에 본 조직과 가장 닮은 채우기는 어느 것일까요? 반사된 모습, 평평하고 어두운 띠, 아니면 모든 타일의 네 변에 생기는 어두운 띠일까요?",
    # --- chapter 07 ---------------------------------------------------------------------------
    "Where do the first node and the last node sit, in pixels? How many gaps lie between three nodes?":
        "첫 번째 노드와 마지막 노드는 몇 번째 픽셀에 있을까요? 노드 세 개 사이에는 간격이 몇 개 있을까요?",
    "The length of a vector of two independent normal components has a distribution with a name; look up its mean, or sample many grids and average.":
        "서로 독립인 정규 분포 성분 두 개로 이루어진 벡터의 길이는 이름이 붙은 분포를 따릅니다. 그 평균을 찾아보거나, 격자를 많이 뽑아 평균을 내세요.",
    "Which of the three can write a value that was not in the label map, for instance between a pixel of class 0 and one of class 2?":
        "세 가지 중 레이블 맵에 없던 값을 쓸 수 있는 것은 어느 것일까요? 예를 들어 클래스 0인 픽셀과 클래스 2인 픽셀 사이에서 생각해 보세요.",
    "The paper's microscopy images are grey already (one channel). What could vary between two grey images of the same cells?":
        "논문의 현미경 이미지는 이미 회색조(채널 하나)입니다. 같은 세포를 찍은 회색조 이미지 두 장 사이에서 무엇이 달라질 수 있을까요?",
    "Node j of g sits at pixel j (n - 1) / (g - 1), so pixel i sits at grid coordinate i (g - 1) / (n - 1); interpolate each component of coarse there (order 3, mode 'mirror'), then sample the image at the displaced positions the same way.":
        "크기 g인 격자의 노드 j는 픽셀 j (n - 1) / (g - 1)에 있으므로, 픽셀 i는 격자 좌표 i (g - 1) / (n - 1)에 있습니다. 그 위치에서 coarse의 각 성분을 보간하고(order 3, mode 'mirror'), 옮겨진 위치에서 이미지를 같은 방식으로 샘플링하세요.",
    "A training loss is measured on each network's own training inputs: ask how varied those inputs are, and what that makes easier or harder to fit.":
        "학습 손실은 각 네트워크가 학습하는 바로 그 입력에서 잽니다. 그 입력이 얼마나 다양한지, 그리고 그 다양함이 맞추기(fit)를 쉽게 하는지 어렵게 하는지 생각해 보세요.",
    # --- chapter 08 ---------------------------------------------------------------------------
    "Soft-max first: p_k = exp(a_k) / sum of exp(a_k'). Then take -log of the true class's p and multiply by the weight.":
        "먼저 소프트맥스를 구하세요: p_k = exp(a_k) / (exp(a_k')의 합). 그다음 정답 클래스의 p에 -log를 취하고 가중치를 곱하세요.",
    "Read eq. 2 term by term: what is squared in the numerator, and what stands in the denominator?":
        "식 (2)를 항별로 읽어 보세요. 분자에서 제곱되는 것은 무엇이고, 분모에는 무엇이 있을까요?",
    "n_k / n is the share of class k; which share belongs to the cell class?":
        "n_k / n은 클래스 k가 차지하는 비율입니다. 세포 클래스의 비율은 어느 것일까요?",
    "On a cell pixel the nearest cell is its own, so d1 = 0. What would the term weigh there?":
        "세포 픽셀에서는 가장 가까운 세포가 자기 자신이므로 d1 = 0입니다. 그 자리에서 이 항은 얼마의 가중치를 줄까요?",
    "Momentum keeps a running sum: a gradient from k steps ago enters with factor 0.99^k.":
        "모멘텀은 누적 합을 유지합니다. k 스텝 전의 기울기는 0.99^k의 계수로 들어옵니다.",
    "scipy.ndimage.distance_transform_edt(labels != i) gives, at every pixel, the distance to the nearest pixel of cell i. Sort those maps along the cell axis and take the two smallest.":
        "scipy.ndimage.distance_transform_edt(labels != i)는 모든 픽셀에서 세포 i의 가장 가까운 픽셀까지의 거리를 줍니다. 이 맵들을 세포 축을 따라 정렬하고 가장 작은 두 개를 취하세요.",
    "Where does the weight map put its weight, and what does a band of background at the rim of every cell do to a pixel overlap?":
        "가중치 맵은 어디에 가중치를 둘까요? 그리고 모든 세포의 가장자리에 생기는 배경 띠는 픽셀 겹침에 어떤 영향을 줄까요?",
    # --- chapter 09 ---------------------------------------------------------------------------
    "Whether the centre is simple does not depend on its own value. For each neighbourhood, flip the centre and compare the numbers of interior and membrane components of the 3 x 3 window.":
        "중심 픽셀이 단순(simple)한지는 중심 자신의 값과 관계가 없습니다. 이웃마다 중심을 뒤집고, 3 x 3 윈도우 안에서 내부 성분과 막 성분의 개수를 비교해 보세요.",
    "scipy.ndimage.label with generate_binary_structure(2, 1) for the interior and (2, 2) for the membrane; count before and after flipping the centre.":
        "내부에는 generate_binary_structure(2, 1)로, 막에는 (2, 2)로 scipy.ndimage.label을 쓰세요. 중심을 뒤집기 전과 후에 성분 수를 세어 비교하세요.",
    "The network was trained on rotated and flipped tiles, but it is not symmetric by construction: its eight answers differ a little, mostly where it is unsure. What does a mean do to errors that are not shared?":
        "네트워크는 회전하고 뒤집은 타일로 학습했지만 구조상 대칭은 아닙니다. 여덟 가지 답은 주로 네트워크가 확신하지 못하는 곳에서 조금씩 다릅니다. 서로 공유하지 않는 오차는 평균을 내면 어떻게 될까요?",
    # --- chapter 10 ---------------------------------------------------------------------------
    "A 1x1 convolution with K kernels gives K scores per pixel, one per label; which label does the question leave out?":
        "커널이 K개인 1x1 합성곱은 픽셀마다 레이블 하나에 하나씩 점수 K개를 냅니다. 문제에서 빠뜨린 레이블은 무엇일까요?",
    "Same counting as for 24 kernels.":
        "커널 24개일 때와 같은 방식으로 세세요.",
    "k neighbouring outputs of g start s' input pixels apart and each covers k' pixels; one step of f moves s outputs of g.":
        "g의 이웃한 출력 k개는 입력에서 s' 픽셀 간격으로 시작하고 각각 k' 픽셀을 덮습니다. f가 한 걸음 움직이면 g의 출력 s개만큼 이동합니다.",
    "Compare what a convolution sees in the padded band with what it sees inside the image.":
        "합성곱이 패딩된 띠에서 보는 것과 이미지 안쪽에서 보는 것을 비교해 보세요.",
    "numpy.pad has a mode for it, and one close to it that the prompt rules out; or build it from flipped slices of the image.":
        "numpy.pad에 이를 위한 모드가 있고, 그와 비슷하지만 문제에서 제외한 모드도 있습니다. 아니면 이미지를 뒤집은 슬라이스로 직접 만들어도 됩니다.",
    "Count the 3x3 convolutions per level, the 2x2 up-convolutions and the final 1x1.":
        "단계마다 있는 3x3 합성곱, 2x2 업 컨볼루션, 그리고 마지막 1x1 합성곱을 세어 보세요.",
    "model.modules() visits every layer; isinstance tells convolutions apart.":
        "model.modules()는 모든 층을 차례로 돌려주고, isinstance로 합성곱 층을 가려낼 수 있습니다.",
    "Read the paper's energy E: over which pixel positions does its sum run?":
        "논문의 에너지 E를 읽어 보세요. 그 합은 어떤 픽셀 위치들에 걸쳐 있을까요?",
    "Section 3 weighs large input tiles against a large batch size: which one does the paper favour?":
        "3절은 큰 입력 타일과 큰 배치 크기를 견주어 봅니다. 논문은 어느 쪽을 택할까요?",
    "Tiles per row times tiles per column; a partial tile still counts.":
        "행당 타일 수에 열당 타일 수를 곱하세요. 일부만 걸친 타일도 하나로 셉니다.",
    "Compare the size of a skip map of the contracting path with the size of the upsampled map it is concatenated with.":
        "수축 경로의 스킵 맵 크기와, 그것과 연결(concatenation)되는 업샘플링된 맵의 크기를 비교해 보세요.",
    "Follow the sizes up the expanding path to the last up-convolution and compare with the first level's skip map.":
        "확장 경로를 따라 마지막 업 컨볼루션까지 크기를 추적한 다음, 첫 번째 단계의 스킵 맵과 비교해 보세요.",
    "Only one of them does not tell objects of one class apart.":
        "같은 클래스의 객체를 서로 구별하지 않는 것은 그중 하나뿐입니다.",
    "Each output pixel interpolates between its two nearest input pixels; how many output pixels, at stride 2, does one input pixel contribute to along an axis?":
        "출력 픽셀은 가장 가까운 입력 픽셀 두 개 사이를 보간합니다. 스트라이드가 2일 때, 입력 픽셀 하나는 한 축을 따라 출력 픽셀 몇 개에 기여할까요?",
    "Follow one valid input through the size walk of chapter 05; the border it loses does not depend on n.":
        "유효한 입력 하나를 5장의 크기 추적(size walk)으로 따라가 보세요. 잃는 테두리의 폭은 n과 관계가 없습니다.",
    "Ask what a 2x2 max-pooling with stride 2 does to an input shifted by one pixel, then stack the poolings of the network.":
        "스트라이드 2인 2x2 max-pooling이 한 픽셀 이동한 입력에 무엇을 하는지 생각한 다음, 네트워크의 풀링을 차례로 쌓아 보세요.",
    "Put the two distances into the exponent as the formula writes it; σ is squared.":
        "두 거리를 식에 적힌 그대로 지수에 넣으세요. σ는 제곱합니다.",
    # --- chapter 11 ---------------------------------------------------------------------------
    "What does every rank hold after the all-reduce, and what does the optimiser do with it?":
        "all-reduce가 끝나면 각 랭크는 무엇을 가지고 있으며, 옵티마이저는 그것으로 무엇을 할까요?",
    "Every rank computes the gradient of its own tile; the all-reduce averages the gradients of all ranks (world size = machines x GPUs per machine).":
        "각 랭크는 자기 타일의 기울기를 계산하고, all-reduce가 모든 랭크의 기울기를 평균합니다(world size = 머신 수 x 머신당 GPU 수).",
    "One gradient value per parameter (count them from the model), 4 bytes each.":
        "파라미터 하나마다 기울기 값이 하나 있고(개수는 모델에서 세세요), 값 하나는 4바이트입니다.",
    "W = 8 in the formula; the gradient's size is the answer of the previous exercise.":
        "식에서 W = 8입니다. 기울기의 크기는 앞 연습 문제의 답입니다.",
    "Look at what DistributedDataParallel does when it wraps a model.":
        "DistributedDataParallel이 모델을 감쌀 때 무엇을 하는지 살펴보세요.",
    "Deal 7 samples to 3 ranks by hand first: which samples land on rank 1?":
        "먼저 샘플 7개를 랭크 3개에 손으로 나눠 보세요. 랭크 1에는 어떤 샘플이 갈까요?",
}

EXPLANATIONS: dict[str, str] = {
    "4 levels x 2 + 2 (bottleneck) + 4 x 2 = 18 convolutions 3x3, 4 up-convolutions 2x2 and the final 1x1: 23.":
        "4단계 x 2 + 2(병목) + 4 x 2 = 3x3 합성곱 18개, 2x2 업 컨볼루션 4개, 마지막 1x1 합성곱 1개: 모두 23개입니다.",
    "With padded convolutions no border is lost: the skip map and the up-convolved map have the same size, and cropping is only needed for the paper's unpadded (valid) convolutions.":
        "패딩한 합성곱에서는 테두리를 잃지 않으므로 스킵 맵과 업 컨볼루션을 거친 맵의 크기가 같습니다. 자르기(crop)는 논문처럼 패딩 없는(valid) 합성곱을 쓸 때만 필요합니다.",
    "Mirroring invents plausible context with the local statistics of the image; it does not know what lay beyond the border, so pixels near the image border still differ from a prediction with real context, only less than with zeros.":
        "미러링은 이미지의 국소 통계를 닮은 그럴듯한 컨텍스트를 지어낼 뿐, 경계 너머에 실제로 무엇이 있었는지는 알지 못합니다. 그래서 이미지 경계 근처의 픽셀은 실제 컨텍스트로 한 예측과 여전히 다르며, 다만 제로 패딩보다 덜 다를 뿐입니다.",
    "The images are single-channel; the augmentation varies their grey values (brightness, contrast, gamma), as a different exposure or stain would.":
        "이미지는 채널이 하나입니다. 증강은 노출이나 염색이 달라졌을 때처럼 회색조 값(밝기, 대비, 감마)을 바꿉니다.",
    "0.99^100 = 0.366: about the last 100 tiles shape every update, which is why the paper can afford a batch of a single large tile.":
        "0.99^100 = 0.366입니다. 매 업데이트를 최근 100개쯤의 타일이 함께 결정하므로, 논문은 큰 타일 하나짜리 배치를 쓸 수 있습니다.",
    "18 convolutions 3x3 (two per level: 4 down, the bottleneck, 4 up), 4 up-convolutions 2x2 and the final 1x1: 23, as the paper says.":
        "3x3 합성곱 18개(단계마다 두 개씩: 내려가는 4단계, 병목, 올라가는 4단계), 2x2 업 컨볼루션 4개, 마지막 1x1 합성곱 1개로, 논문대로 23개입니다.",
    "Eq. 1 sums w(x) log p over every pixel position x of the output map, and the paper samples no patches from it: each step trains densely on all the receptive fields of one tile, what the FCN paper (section 3.4) calls whole image fully convolutional training.":
        "식 1은 출력 맵의 모든 픽셀 위치 x에 대해 w(x) log p를 더하며, 논문은 그 안에서 패치를 샘플링하지 않습니다. 각 스텝은 타일 하나의 모든 수용 영역(receptive field)에 대해 조밀하게 학습하며, FCN 논문(3.4절)은 이를 전체 이미지 완전 합성곱 학습(whole image fully convolutional training)이라고 부릅니다.",
    "With unpadded (valid) 3x3 convolutions every convolution loses a 1-pixel border, so the skip maps are larger than the upsampled maps and must be cropped. With padded ('same') convolutions the sizes agree and no crop is needed.":
        "패딩 없는(valid) 3x3 합성곱은 합성곱마다 테두리 1픽셀을 잃으므로, 스킵 맵이 업샘플링된 맵보다 커서 잘라야 합니다. 패딩한('same') 합성곱에서는 크기가 같아 자를 필요가 없습니다.",
    "DDP broadcasts rank 0's parameters (and buffers) to every rank when it wraps the model, so the replicas start identical whatever each process drew; tests/test_distributed.py seeds rank 1 differently on purpose.":
        "DDP는 모델을 감쌀 때 랭크 0의 파라미터(와 버퍼)를 모든 랭크에 브로드캐스트합니다. 그래서 각 프로세스가 무엇을 뽑았든 복제본은 똑같이 시작합니다. tests/test_distributed.py는 일부러 랭크 1에 다른 시드를 줍니다.",
}

# The messages of the questions' own ``compare`` functions (code exercises), keyed by the English
# message with its fields named (a field's value may itself be a message or word of this table:
# "too high"). ``quiz`` prints the Korean one when ``UNET_COURSE_LANG=ko``; a field written
# ``{name:을}`` takes the particle form that fits its value (unet_course/quiz/korean.py).
MESSAGES: dict[str, str] = {
    # --- chapter 01 ---------------------------------------------------------------------------
    "your function returned {count} values; it should return one IoU per class ({classes})":
        "함수가 돌려준 값의 개수가 {count}입니다. 클래스마다 IoU를 하나씩, 모두 {classes}개 돌려주어야 합니다.",
    "a scalar": "1(스칼라)",
    "class {c} is absent from both maps: its IoU is undefined, return nan for it (you returned {value})":
        "클래스 {c:은} 두 맵 모두에 없으므로 IoU가 정의되지 않습니다. 이 클래스에는 nan을 돌려주세요"
        "(여러분은 {value:을} 돌려주었습니다).",
    "the IoU of class {c} is off on a {shape} example: check that the union counts pixels of class {c} in either map once":
        "shape {shape}인 예제에서 클래스 {c}의 IoU가 맞지 않습니다. 합집합이 두 맵 중 어느 쪽에서든 클래스 {c}인 "
        "픽셀을 한 번씩만 세는지 확인하세요.",
    # --- chapter 04 ---------------------------------------------------------------------------
    "your F-score {value} is {direction} for tolerance {tolerance}: check that a boundary pixel has a 4-neighbour "
    "with another label, and that 'within' means distance <= tolerance":
        "허용 오차 {tolerance}에서 F-점수 {value:이} {direction}. 경계 픽셀은 4-이웃 중에 레이블이 다른 픽셀이 있는 "
        "픽셀인지, '이내'가 거리 <= 허용 오차를 뜻하는지 확인하세요.",
    "too high": "너무 높습니다",
    "too low": "너무 낮습니다",
    "return one number, the F-score; you returned {kind}":
        "숫자 하나, 곧 F-점수를 돌려주세요. 여러분은 {kind:을} 돌려주었습니다.",
    # --- chapter 06 ---------------------------------------------------------------------------
    "for n={n}, before={before}, after={after} you returned {size} indices; there should be before + n + after = {total}":
        "n={n}, before={before}, after={after}일 때 여러분은 인덱스 {size}개를 돌려주었습니다. "
        "before + n + after = {total}개여야 합니다.",
    "for n={n}, before={before}, after={after} the middle part should be the image itself, 0 .. n-1":
        "n={n}, before={before}, after={after}일 때 가운데 부분은 이미지 자체, 곧 0 .. n-1이어야 합니다.",
    "for n={n}, before={before}, after={after} index {k} of your answer is off: mirror about the border pixel "
    "without repeating it, and reflect again when the pad is longer than the axis":
        "n={n}, before={before}, after={after}일 때 답의 인덱스 {k:이} 틀렸습니다. 경계 픽셀을 반복하지 말고 그 픽셀을 "
        "기준으로 반사하고, 패딩이 축보다 길면 한 번 더 반사하세요.",
    # --- chapter 07 ---------------------------------------------------------------------------
    "pixel ({y}, {x}) is off by {diff}: check that pixel p reads the input at p + d(p), that d comes from a cubic "
    "interpolation of the grid spanning the corners, and order=3":
        "픽셀 ({y}, {x})의 값이 {diff}만큼 어긋납니다. 픽셀 p가 입력을 p + d(p)에서 읽는지, d가 모서리까지 걸친 격자를 "
        "3차 보간(cubic interpolation)해서 얻은 값인지, order=3인지 확인하세요.",
    "your image has shape {given}; it should keep the input's shape {expected}":
        "이미지의 shape이 {given}입니다. 입력의 shape {expected:을} 그대로 유지해야 합니다.",
    "your output equals the input: the displacement was not applied":
        "출력이 입력과 같습니다. 변위(displacement)가 적용되지 않았습니다.",
    # --- chapter 08 ---------------------------------------------------------------------------
    "background pixel ({y}, {x}) is off by {diff}: d1 and d2 are the distances to the nearest pixel of the nearest "
    "and of the second-nearest cell (Euclidean, pixel centres)":
        "배경 픽셀 ({y}, {x})의 값이 {diff}만큼 어긋납니다. d1과 d2는 가장 가까운 세포와 두 번째로 가까운 세포의 "
        "가장 가까운 픽셀까지의 거리입니다(유클리드 거리, 픽셀 중심 기준).",
    "your map has shape {given}; it should have the labels' shape {expected}":
        "맵의 shape이 {given}입니다. 레이블의 shape {expected:과} 같아야 합니다.",
    "your map uses sigma where the formula has sigma squared: the denominator is 2 sigma^2":
        "식에는 sigma의 제곱이 있는 자리에 맵은 sigma를 씁니다. 분모는 2 sigma^2입니다.",
    "with a single cell there is no second-nearest cell, so there is no border term":
        "세포가 하나뿐이면 두 번째로 가까운 세포가 없으므로 경계 항도 없습니다.",
    # --- chapter 09 ---------------------------------------------------------------------------
    "return True or False, got {kind}": "True나 False를 돌려주세요. 받은 값은 {kind}입니다.",
    "for the window {rows} (rows top to bottom, 1 = interior) the centre is {what}: count the interior "
    "4-components and the membrane 8-components before and after flipping it":
        "윈도우 {rows}(위에서 아래로 행, 1 = 내부)에서 중심 픽셀은 {what}. 중심을 뒤집기 전과 후에 내부의 "
        "4-연결 성분과 막의 8-연결 성분을 세어 보세요.",
    "simple": "단순(simple)합니다",
    "not simple": "단순(simple)하지 않습니다",
    # --- chapter 10 ---------------------------------------------------------------------------
    "your padded image has shape {given}; padding a {h}x{w} image by {margin} on every side gives {expected}":
        "패딩한 이미지의 shape이 {given}입니다. {h}x{w} 이미지의 네 변에 {margin}씩 패딩하면 {expected:이} 됩니다.",
    "your padding repeats the border pixel (row -1 equals row 0); the mirror is the border pixel itself":
        "패딩이 경계 픽셀을 반복합니다(행 -1이 행 0과 같습니다). 반사의 축은 경계 픽셀 자신입니다.",
    "you padded with zeros; the question asks for mirrored context":
        "0으로 패딩했습니다. 문제는 미러링한 컨텍스트를 요구합니다.",
    "the centre is the image, but the border is not its mirror image":
        "가운데는 이미지이지만, 테두리가 이미지를 반사한 모습이 아닙니다.",
    "the centre of your output is not the input image: the padding goes around it":
        "출력의 가운데가 입력 이미지가 아닙니다. 패딩은 이미지의 둘레에 붙습니다.",
}


def _merge_module_tables() -> None:
    """Add the Korean that a question module carries itself (``KO_HINTS``, ``KO_EXPLANATIONS``,
    ``KO_MESSAGES``, English text -> Korean) to the tables above: the build steps' modules keep
    the Korean of their hints and diagnoses next to the English."""
    import importlib
    import pkgutil

    from unet_course import questions

    for info in pkgutil.iter_modules(questions.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{questions.__name__}.{info.name}")
        for table, name in ((HINTS, "KO_HINTS"), (EXPLANATIONS, "KO_EXPLANATIONS"), (MESSAGES, "KO_MESSAGES")):
            extra = getattr(module, name, {})
            clash = {k for k in extra if k in table and table[k] != extra[k]}
            if clash:
                raise ValueError(f"{module.__name__}.{name} gives another Korean text for {sorted(clash)[0]!r}")
            table.update(extra)


_merge_module_tables()
